/* mlpgeo playground: drag a neuron's line and watch the exact linear regions, the codes and the VQ distances.
 *
 * Initialises every <div class="mlpgeo-playground" data-preset="..." data-mode="partition|vq"> on a page and
 * exposes the first one as window.mlpgeoPlayground (all of them: window.mlpgeoPlaygrounds).
 *
 * The regions are computed exactly, with the algorithm of mlpgeo.regions.linear_regions_2d ported line by
 * line: start from the box (or the whole plane) as a polygon of unit homogeneous vertices (s, t, w); for each
 * hidden layer, cut every polygon by each neuron's line (a polygon is cut only when some vertex lies farther
 * than the tolerance 1e-11 on each side; a cut edge longer than 90 degrees of arc gets a midpoint), then read
 * the layer's bits at an interior point (a neuron identically zero on a region gets bit 0) and pass the masked
 * affine map on to the next layer. Same weights and box, same regions and codes as the Python engine.
 * Networks up to about 2-32-32-1 are analysed at every frame; larger ones in a background worker (built from
 * this script's own functions), so the page never freezes.
 *
 * No network access except this site's preset files (metrics/networks/hashing.json, and vq_kernels.json when
 * a VQ view or that preset needs it), fetched from the same origin.
 */
(function () {
  "use strict";

  var TOL = 1e-11;
  var MAX_UI_WIDTH = 16;
  var SCRIPT_SRC = typeof document !== "undefined" && document.currentScript ? document.currentScript.src : null;

  // ------------------------------------------------------------------------------------------------------
  // Exact partition (port of mlpgeo.regions._partition and its helpers)
  // ------------------------------------------------------------------------------------------------------

  function normalizeInto(out, o, x, y, w) {
    var n = Math.sqrt(x * x + y * y + w * w);
    if (n > 0) {
      out[o] = x / n; out[o + 1] = y / n; out[o + 2] = w / n;
    } else {
      out[o] = x; out[o + 1] = y; out[o + 2] = w;
    }
  }

  // Split the fresh cut edge of a piece (both ends on the cut line) by a point on the line when it spans
  // more than 90 degrees of arc (only the first such edge, as mlpgeo does). piece: flat [x, y, w, ...].
  function insertMidpoint(piece, nx, ny, nw) {
    var k = piece.length / 3;
    for (var e = 0; e < k; e++) {
      var f = e + 1 < k ? e + 1 : 0;
      var px = piece[3 * e], py = piece[3 * e + 1], pw = piece[3 * e + 2];
      var qx = piece[3 * f], qy = piece[3 * f + 1], qw = piece[3 * f + 2];
      var dot = px * qx + py * qy + pw * qw;
      if (!(dot < 0)) continue;
      if (Math.abs(px * nx + py * ny + pw * nw) > 1e-9) continue;
      if (Math.abs(qx * nx + qy * ny + qw * nw) > 1e-9) continue;
      var t = [0, 0, 0];
      normalizeInto(t, 0, ny * pw - nw * py, nw * px - nx * pw, nx * py - ny * px);
      var score = t[0] * qx + t[1] * qy + t[2] * qw + t[2];
      if (!(score >= 0)) { t[0] = -t[0]; t[1] = -t[1]; t[2] = -t[2]; }
      piece.splice(3 * (e + 1), 0, t[0], t[1], t[2]);
      return;
    }
  }

  // Cut one polygon by the line normal . v = 0; returns null (not crossed) or [positive piece, negative piece].
  var cutVals = new Float64Array(64), cutSign = new Int8Array(64);
  function cutPolygon(V, nx, ny, nw, tol) {
    var k = V.length / 3, i;
    if (cutVals.length < k) { cutVals = new Float64Array(2 * k); cutSign = new Int8Array(2 * k); }
    var anyPos = false, anyNeg = false;
    for (i = 0; i < k; i++) {
      var v = V[3 * i] * nx + V[3 * i + 1] * ny + V[3 * i + 2] * nw;
      cutVals[i] = v;
      if (v > tol) { cutSign[i] = 1; anyPos = true; } else if (v < -tol) { cutSign[i] = -1; anyNeg = true; } else cutSign[i] = 0;
    }
    if (!(anyPos && anyNeg)) return null;
    var pos = [], neg = [], X = [0, 0, 0];
    for (i = 0; i < k; i++) {
      var j = i + 1 < k ? i + 1 : 0, s = cutSign[i];
      var hx = V[3 * i], hy = V[3 * i + 1], hw = V[3 * i + 2];
      if (s >= 0) pos.push(hx, hy, hw);
      if (s <= 0) neg.push(hx, hy, hw);
      if (s * cutSign[j] < 0) {
        var a = Math.abs(cutVals[j]), b = Math.abs(cutVals[i]);
        normalizeInto(X, 0, a * hx + b * V[3 * j], a * hy + b * V[3 * j + 1], a * hw + b * V[3 * j + 2]);
        pos.push(X[0], X[1], X[2]);
        neg.push(X[0], X[1], X[2]);
      }
    }
    insertMidpoint(pos, nx, ny, nw);
    insertMidpoint(neg, nx, ny, nw);
    return [pos, neg];
  }

  function interiorPoint(V) {
    var k = V.length / 3, x = 0, y = 0, w = 0;
    for (var i = 0; i < k; i++) { x += V[3 * i]; y += V[3 * i + 1]; w += V[3 * i + 2]; }
    x /= k; y /= k; w /= k;
    if (Math.sqrt(x * x + y * y + w * w) < 1e-9) { x = 0; y = 0; w = 1; } // only the uncut whole plane
    var out = [0, 0, 0];
    normalizeInto(out, 0, x, y, w);
    return out;
  }

  function boxPolygon(box) {
    var c = [[box[0], box[2]], [box[1], box[2]], [box[1], box[3]], [box[0], box[3]]], out = [];
    for (var i = 0; i < 4; i++) {
      var t = [0, 0, 0];
      normalizeInto(t, 0, c[i][0], c[i][1], 1);
      out.push(t[0], t[1], t[2]);
    }
    return out;
  }

  var PLANE_POLYGON = [1, 0, 0, 0, 1, 0, -1, 0, 0, 0, -1, 0];

  /* The activation regions of the network `net` (list of {W: Float64Array (m*d, row-major), b, m, d}; hidden
   * layers then the output layer, ReLU between) on the polygon `start` (boxPolygon(box) or PLANE_POLYGON).
   * Returns {polys: [flat unit homogeneous vertices], codes: [Uint8Array of all hidden bits], outMaps:
   * [Float64Array (dOut*3)], layerCounts: [regions after each hidden layer]}. */
  function partition(net, start, tol) {
    if (tol === undefined) tol = TOL;
    var polys = [start.slice()];
    var maps = [new Float64Array([1, 0, 0, 0, 1, 0])]; // per region of the previous layer: (d x 3)
    var codes = [new Uint8Array(0)];
    var layerCounts = [];
    for (var l = 0; l < net.length - 1; l++) {
      var L = net[l], z = layerMaps(L, maps), parent = [];
      for (var q = 0; q < polys.length; q++) parent.push(q);
      for (var j = 0; j < L.m; j++) cutAll(polys, parent, z.N, L.m, j, tol);
      var read = readBits(polys, parent, codes, z, L.m, tol);
      maps = read.maps;
      codes = read.codes;
      layerCounts.push(polys.length);
    }
    return { polys: polys, codes: codes, outMaps: outputMaps(net[net.length - 1], maps), layerCounts: layerCounts };
  }

  // The layer's pre-activation maps z = W M + b e_w on every region of the previous layer: Z (Q*m*3), unit
  // normals N and norms S. Rows of M that are zero (dead neurons) are skipped.
  function layerMaps(L, maps) {
    var m = L.m, d = L.d, Q = maps.length, W = L.W, bias = L.b;
    var Z = new Float64Array(Q * m * 3), N = new Float64Array(Q * m * 3), S = new Float64Array(Q * m), act = new Int32Array(d);
    for (var q = 0; q < Q; q++) {
      var M = maps[q], na = 0, i;
      for (i = 0; i < d; i++) if (M[3 * i] !== 0 || M[3 * i + 1] !== 0 || M[3 * i + 2] !== 0) act[na++] = i;
      for (var j = 0; j < m; j++) {
        var o = (q * m + j) * 3, s0 = 0, s1 = 0, s2 = 0, base = j * d;
        for (var a = 0; a < na; a++) {
          i = act[a];
          var wv = W[base + i], mi = 3 * i;
          s0 += wv * M[mi]; s1 += wv * M[mi + 1]; s2 += wv * M[mi + 2];
        }
        s2 += bias[j];
        Z[o] = s0; Z[o + 1] = s1; Z[o + 2] = s2;
        var n = Math.sqrt(s0 * s0 + s1 * s1 + s2 * s2);
        S[q * m + j] = n;
        if (n > 0) { N[o] = s0 / n; N[o + 1] = s1 / n; N[o + 2] = s2 / n; }
      }
    }
    return { Z: Z, N: N, S: S };
  }

  // Cut every polygon by neuron j's line (its parent region's normal); new pieces are appended.
  function cutAll(polys, parent, N, m, j, tol) {
    var P = polys.length;
    for (var p = 0; p < P; p++) {
      var on = (parent[p] * m + j) * 3, nx = N[on], ny = N[on + 1], nw = N[on + 2];
      if (nx === 0 && ny === 0 && nw === 0) continue; // a zero row never cuts
      var r = cutPolygon(polys[p], nx, ny, nw, tol);
      if (r) { polys[p] = r[0]; polys.push(r[1]); parent.push(parent[p]); }
    }
  }

  // Each region's bits for the layer (pre-activation > tol * |row| at an interior point) and its masked map.
  function readBits(polys, parent, codes, z, m, tol) {
    var Z = z.Z, S = z.S, maps = new Array(polys.length), out = new Array(polys.length);
    for (var p = 0; p < polys.length; p++) {
      var pt = interiorPoint(polys[p]), q = parent[p], prev = codes[q], k = prev.length;
      var bits = new Uint8Array(k + m), map = new Float64Array(m * 3);
      bits.set(prev);
      for (var j = 0; j < m; j++) {
        var o = (q * m + j) * 3;
        var v = Z[o] * pt[0] + Z[o + 1] * pt[1] + Z[o + 2] * pt[2];
        if (v > tol * Math.max(S[q * m + j], 1e-300)) {
          bits[k + j] = 1;
          map[3 * j] = Z[o]; map[3 * j + 1] = Z[o + 1]; map[3 * j + 2] = Z[o + 2];
        }
      }
      maps[p] = map;
      out[p] = bits;
    }
    return { maps: maps, codes: out };
  }

  // The output layer's affine map on every region: (dOut x 3) each.
  function outputMaps(O, maps) {
    var out = new Array(maps.length);
    for (var p = 0; p < maps.length; p++) {
      var M = maps[p], om = new Float64Array(O.m * 3);
      for (var j = 0; j < O.m; j++) {
        for (var c = 0; c < 3; c++) {
          var s = 0;
          for (var i = 0; i < O.d; i++) s += O.W[j * O.d + i] * M[i * 3 + c];
          om[3 * j + c] = c === 2 ? s + O.b[j] : s;
        }
      }
      out[p] = om;
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------------------
  // Networks: nested arrays <-> float64 layers, forward codes, bounds
  // ------------------------------------------------------------------------------------------------------

  function fromNested(layers) {
    if (!Array.isArray(layers) || layers.length === 0) throw new Error("setNetwork: layers must be a non-empty list of {weight, bias}.");
    var net = [], d = 2;
    layers.forEach(function (layer, index) {
      var W = layer && layer.weight;
      if (!Array.isArray(W) || W.length === 0 || !Array.isArray(W[0])) throw new Error("setNetwork: layer " + (index + 1) + " has no 2-D weight (shape (out, in)).");
      var m = W.length;
      if (W[0].length !== d) throw new Error("setNetwork: layer " + (index + 1) + " takes " + W[0].length + " inputs, expected " + d + (index === 0 ? " (the input is 2-D)." : " (the previous layer's width)."));
      var flat = new Float64Array(m * d), b = new Float64Array(m);
      for (var j = 0; j < m; j++) {
        if (!Array.isArray(W[j]) || W[j].length !== d) throw new Error("setNetwork: layer " + (index + 1) + " has rows of different lengths.");
        for (var i = 0; i < d; i++) flat[j * d + i] = Number(W[j][i]);
        b[j] = layer.bias == null ? 0 : Number(layer.bias[j]);
      }
      if (layer.bias != null && (!Array.isArray(layer.bias) || layer.bias.length !== m)) throw new Error("setNetwork: layer " + (index + 1) + " has " + m + " neurons but a bias of another length.");
      if (!flat.every(isFinite) || !b.every(isFinite)) throw new Error("setNetwork: layer " + (index + 1) + " holds NaN or infinite values.");
      net.push({ W: flat, b: b, m: m, d: d });
      d = m;
    });
    return net;
  }

  function toNested(net) {
    return net.map(function (L) {
      var weight = [];
      for (var j = 0; j < L.m; j++) weight.push(Array.prototype.slice.call(L.W, j * L.d, (j + 1) * L.d));
      return { weight: weight, bias: Array.prototype.slice.call(L.b) };
    });
  }

  // Hidden bits (pre-activation > 0, layer order) and outputs at a point, in float64 (mlpgeo.forward_codes).
  function forward(net, x, y) {
    var h = [x, y], bits = [];
    for (var l = 0; l < net.length; l++) {
      var L = net[l], z = new Array(L.m);
      for (var j = 0; j < L.m; j++) {
        var s = 0;
        for (var i = 0; i < L.d; i++) s += h[i] * L.W[j * L.d + i];
        z[j] = s + L.b[j];
      }
      if (l === net.length - 1) return { bits: bits, out: z };
      for (var k = 0; k < L.m; k++) { bits.push(z[k] > 0 ? 1 : 0); z[k] = z[k] > 0 ? z[k] : 0; }
      h = z;
    }
  }

  function codeKey(bits) {
    var s = "";
    for (var i = 0; i < bits.length; i++) s += bits[i] ? "1" : "0";
    return s;
  }

  function checkBox(box) {
    if (!Array.isArray(box) || box.length !== 4 || !box.every(function (v) { return typeof v === "number" && isFinite(v); }))
      throw new Error("box must be [xmin, xmax, ymin, ymax] (finite numbers).");
    if (!(box[0] < box[1] && box[2] < box[3])) throw new Error("box needs xmin < xmax and ymin < ymax.");
    return box.slice();
  }

  function binom(n, k) {
    if (k < 0 || k > n) return 0;
    var r = 1;
    for (var i = 1; i <= k; i++) r = r * (n - k + i) / i;
    return Math.round(r);
  }

  // Zaslavsky's bound for n lines in the plane: 1 + n + C(n, 2); through the origin: 2n (1 when n = 0).
  function zaslavsky(n, throughOrigin) {
    if (throughOrigin) return n === 0 ? 1 : 2 * (binom(n - 1, 0) + binom(n - 1, 1));
    return binom(n, 0) + binom(n, 1) + binom(n, 2);
  }

  // Deterministic random numbers (mulberry32) and normals (Box-Muller).
  function rng(seed) {
    var a = seed >>> 0;
    var next = function () {
      a = (a + 0x6d2b79f5) >>> 0;
      var t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    next.normal = function () {
      var u = 1 - next(), v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    };
    return next;
  }

  // Two interleaved half circles scaled into [-1, 1]^2 (as mlpgeo.data.two_moons), for the default network.
  function twoMoons(n, noise, seed) {
    var r = rng(seed), nu = Math.floor(n / 2), pts = [], y = [], i, t;
    for (i = 0; i < n; i++) {
      var upper = i < nu, count = upper ? nu : n - nu, k = upper ? i : i - nu;
      t = count > 1 ? Math.PI * k / (count - 1) : 0;
      var px = upper ? Math.cos(t) : 1 - Math.cos(t), py = upper ? Math.sin(t) : 0.5 - Math.sin(t);
      pts.push([px + noise * r.normal(), py + noise * r.normal()]);
      y.push(upper ? 0 : 1);
    }
    var lo = [Infinity, Infinity], hi = [-Infinity, -Infinity];
    pts.forEach(function (p) { for (var a = 0; a < 2; a++) { lo[a] = Math.min(lo[a], p[a]); hi[a] = Math.max(hi[a], p[a]); } });
    var half = Math.max(hi[0] - lo[0], hi[1] - lo[1]) / 2;
    return { x: pts.map(function (p) { return [(p[0] - (lo[0] + hi[0]) / 2) / half, (p[1] - (lo[1] + hi[1]) / 2) / half]; }), y: y };
  }

  // A random line through the inner part of the box: weight of norm 0.5-2, as rows [w1, w2] and bias.
  function randomNeuron(r, box) {
    var theta = 2 * Math.PI * r(), scale = 0.5 + 1.5 * r();
    var px = box[0] + (0.15 + 0.7 * r()) * (box[1] - box[0]), py = box[2] + (0.15 + 0.7 * r()) * (box[3] - box[2]);
    var w = [scale * Math.cos(theta), scale * Math.sin(theta)];
    return { w: w, b: -(w[0] * px + w[1] * py) };
  }

  function randomNet(widths, box, seed) {
    var r = rng(seed), layers = [], d = 2;
    widths.concat([1]).forEach(function (m, index) {
      var weight = [], bias = [];
      for (var j = 0; j < m; j++) {
        if (index === 0) {
          var n = randomNeuron(r, box);
          weight.push(n.w); bias.push(n.b);
        } else {
          var row = [];
          for (var i = 0; i < d; i++) row.push(r.normal() / Math.sqrt(d));
          weight.push(row); bias.push(0.3 * r.normal());
        }
      }
      layers.push({ weight: weight, bias: bias });
      d = m;
    });
    return layers;
  }

  // A compact Map key for a run of bits (15 per character).
  function packKey(bits, start, K) {
    var s = "";
    for (var i = 0; i < K; i += 15) {
      var v = 0;
      for (var b = 0; b < 15 && i + b < K; b++) if (bits[start + i + b]) v |= 1 << b;
      s += String.fromCharCode(v);
    }
    return s;
  }

  /* Everything the picture and the counters need, in flat buffers (they travel from a worker without copies):
   * R regions, K hidden bits, dOut outputs; offsets (R + 1, in vertices) into verts (2-D coordinates);
   * codes (R * K bits); outMaps (R * dOut * 3: output = A (x, y) + c); layerCounts; and, for the data points,
   * pointRegion (the region whose code equals the point's forward-pass code, as mlpgeo's Regions.locate;
   * -1 outside the box) and used (regions holding at least one point). */
  function analyse(net, box, points, tol) {
    var part = partition(net, boxPolygon(box), tol), polys = part.polys, R = polys.length, r, i;
    var K = 0, dOut = net[net.length - 1].m;
    for (i = 0; i < net.length - 1; i++) K += net[i].m;
    var offsets = new Int32Array(R + 1), total = 0;
    for (r = 0; r < R; r++) { offsets[r] = total; total += polys[r].length / 3; }
    offsets[R] = total;
    var verts = new Float64Array(2 * total), codes = new Uint8Array(R * K), outMaps = new Float64Array(R * dOut * 3);
    var keys = new Map();
    for (r = 0; r < R; r++) {
      var V = polys[r], o = 2 * offsets[r];
      for (i = 0; i < V.length / 3; i++) { verts[o + 2 * i] = V[3 * i] / V[3 * i + 2]; verts[o + 2 * i + 1] = V[3 * i + 1] / V[3 * i + 2]; }
      codes.set(part.codes[r], r * K);
      outMaps.set(part.outMaps[r], r * dOut * 3);
      keys.set(packKey(codes, r * K, K), r);
    }
    var n = points ? points.length : 0, pointRegion = new Int32Array(n), seen = new Uint8Array(R), used = 0;
    for (i = 0; i < n; i++) {
      var x = points[i][0], y = points[i][1], hit = -1;
      if (x >= box[0] && x <= box[1] && y >= box[2] && y <= box[3]) {
        var found = keys.get(packKey(forward(net, x, y).bits, 0, K));
        if (found !== undefined) hit = found;
      }
      pointRegion[i] = hit;
      if (hit >= 0 && !seen[hit]) { seen[hit] = 1; used++; }
    }
    return { R: R, K: K, dOut: dOut, offsets: offsets, verts: verts, codes: codes, outMaps: outMaps,
      layerCounts: part.layerCounts, pointRegion: pointRegion, used: used };
  }

  var core = {
    TOL: TOL, partition: partition, analyse: analyse, boxPolygon: boxPolygon, PLANE_POLYGON: PLANE_POLYGON,
    fromNested: fromNested, toNested: toNested, forward: forward, zaslavsky: zaslavsky, randomNet: randomNet,
    twoMoons: twoMoons, codeKey: codeKey,
  };
  if (typeof module === "object" && module.exports) module.exports = core;

  // The worker that analyses large networks off the main thread: built from these functions' own source
  // (a Blob URL: no second download of this file).
  function workerMain() {
    self.onmessage = function (event) {
      var job = event.data, net = fromNested(job.layers), res = analyse(net, job.box, job.points, TOL);
      res.id = job.id;
      res.kind = "box";
      self.postMessage(res, [res.offsets.buffer, res.verts.buffer, res.codes.buffer, res.outMaps.buffer, res.pointRegion.buffer]);
      if (job.plane) self.postMessage({ id: job.id, kind: "plane", plane: partition(net, PLANE_POLYGON, TOL).polys.length });
    };
  }

  function workerSource() {
    var parts = [normalizeInto, insertMidpoint, cutPolygon, interiorPoint, boxPolygon, partition, layerMaps, cutAll,
      readBits, outputMaps, fromNested, forward, packKey, analyse].map(String);
    return "\"use strict\";\nvar TOL = " + TOL + ", PLANE_POLYGON = " + JSON.stringify(PLANE_POLYGON) +
      ", cutVals = new Float64Array(64), cutSign = new Int8Array(64);\n" + parts.join("\n") + "\n(" + String(workerMain) + ")();\n";
  }

  if (typeof document === "undefined") return;

  // ------------------------------------------------------------------------------------------------------
  // The widget
  // ------------------------------------------------------------------------------------------------------

  var NEURON_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#393b79", "#ad494a", "#637939", "#7b4173", "#843c39", "#3182bd"];
  var CLASS_COLOURS = ["#2757a8", "#e06a00"], CLASS_COLOURS_DARK = ["#8ab4ff", "#ffa040"];
  var VIRIDIS = [[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142], [31, 158, 137],
    [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37]];
  var DEFAULT_BOX = [-1.2, 1.2, -1.2, 1.2];
  var MAX_LINES = 128; // first-layer lines drawn (all of them up to this width)
  var MAX_HANDLES = 48; // first-layer neurons that get handles

  function siteRoot() {
    if (SCRIPT_SRC && /javascripts\/playground\.js/.test(SCRIPT_SRC)) return SCRIPT_SRC.replace(/javascripts\/playground\.js.*$/, "");
    var config = document.getElementById("__config");
    try { return new URL(JSON.parse(config.textContent).base + "/", location.href).href; } catch (e) { return new URL("/", location.href).href; }
  }

  // The preset files, each fetched at most once per page and only when an instance needs it (the VQ report's
  // network is the large one: it is fetched when a VQ view is on the page or when a reader picks it).
  var HASHING_FILE = "hashing.json", VQ_FILE = "vq_kernels.json", files = {}, fileContent = {}, workerURL = null;
  function loadFile(name) {
    if (!files[name]) {
      files[name] = fetch(siteRoot() + "metrics/networks/" + name, { cache: "no-cache" }).then(function (r) {
        return r.ok ? r.json() : null;
      }).catch(function () { return null; }).then(function (data) {
        fileContent[name] = data; // null: missing
        instances.forEach(function (pg) { pg.filesChanged(); });
        return data;
      });
    }
    return files[name];
  }
  var instances = [];

  function slug(s) { return String(s).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, ""); }

  function el(tag, attrs, parent, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text != null) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  function fmt(v, digits) {
    if (digits === undefined) digits = 3;
    if (v === 0) return "0";
    var a = Math.abs(v);
    if (a >= 1e4 || a < 1e-3) return v.toExponential(2).replace("e+", "e");
    return Number(v.toFixed(digits)).toString();
  }

  function affineText(a1, a2, c) {
    var s = fmt(a1) + " x\u2081 " + (a2 < 0 ? "\u2212 " : "+ ") + fmt(Math.abs(a2)) + " x\u2082 " + (c < 0 ? "\u2212 " : "+ ") + fmt(Math.abs(c));
    return s.replace(/^-/, "\u2212");
  }

  function hashCode(s) {
    var h = 2166136261;
    for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
    return h >>> 0;
  }

  function hashBits(bits) {
    var h = 2166136261;
    for (var i = 0; i < bits.length; i++) { h ^= bits[i] + 48; h = Math.imul(h, 16777619); }
    return h >>> 0;
  }

  function viridis(t) {
    t = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
    var i = Math.min(VIRIDIS.length - 2, Math.floor(t)), f = t - i, a = VIRIDIS[i], b = VIRIDIS[i + 1];
    return "rgb(" + Math.round(a[0] + f * (b[0] - a[0])) + "," + Math.round(a[1] + f * (b[1] - a[1])) + "," + Math.round(a[2] + f * (b[2] - a[2])) + ")";
  }

  // Clip the line a x + b y + c = 0 to the box: two points or null.
  function clipLine(a, b, c, box) {
    var pts = [], eps = 1e-12;
    if (Math.abs(b) > eps) {
      [box[0], box[1]].forEach(function (x) { var y = -(a * x + c) / b; if (y >= box[2] - 1e-9 && y <= box[3] + 1e-9) pts.push([x, y]); });
    }
    if (Math.abs(a) > eps) {
      [box[2], box[3]].forEach(function (y) { var x = -(b * y + c) / a; if (x >= box[0] - 1e-9 && x <= box[1] + 1e-9) pts.push([x, y]); });
    }
    if (pts.length < 2) return null;
    var best = null, far = -1;
    for (var i = 0; i < pts.length; i++) for (var j = i + 1; j < pts.length; j++) {
      var d = Math.hypot(pts[i][0] - pts[j][0], pts[i][1] - pts[j][1]);
      if (d > far) { far = d; best = [pts[i], pts[j]]; }
    }
    return far > 0 ? best : null;
  }

  function Playground(root, index) {
    this.root = root;
    this.index = index;
    this.mode = root.getAttribute("data-mode") === "vq" ? "vq" : "partition";
    this.box = DEFAULT_BOX.slice();
    this.presets = [];
    this.presetKey = "random";
    this.noBias = false;
    this.savedBias = null;
    this.anchors = [];
    this.drag = null;
    this.hover = null; // region index under the pointer
    this.pinned = null;
    this.selected = null; // selected data point (VQ view)
    this.sigma2 = null;
    this.sigma2Median = null;
    this.kernel = "distance";
    this.message = "";
    this.userSet = false;
    this.stats = { renders: 0, computeMs: 0, drawMs: 0, maxFrameMs: 0 };
    this.version = 0; // bumped by every change of the network, the box or the data
    this.res = null; // the analysis shown (flat buffers, see analyse) and the version it belongs to
    this.resVersion = -1;
    this.plane = null; // whole-plane count and the version it belongs to
    this.planeVersion = -1;
    this.planeMs = 0;
    this.planeAt = 0;
    this.slowShapes = new Set(); // architectures whose analysis took too long for the main thread
    this.worker = null;
    this.waiters = [];
    this.build();
    var moons = twoMoons(200, 0.1, 0);
    this.setData(moons.x, moons.y);
    this.applyLayers(randomNet([6], this.box, 7 + index), null);
    this.presetKey = "random";
    this.missing = [];
    instances.push(this);
    this.filesChanged();
    this.ready = this.start();
  }

  Playground.prototype.build = function () {
    var root = this.root, self = this;
    root.classList.add("mlpgeo-pg");
    root.innerHTML = "";
    var controls = el("div", { class: "mlpgeo-pg-controls" }, root);
    var presetLabel = el("label", null, controls, "Network ");
    this.presetSelect = el("select", { "aria-label": "preset network" }, presetLabel);
    this.presetSelect.addEventListener("change", function () { self.selectPreset(self.presetSelect.value); });

    var widths = el("span", { class: "mlpgeo-pg-widths" }, controls);
    this.widthInputs = [];
    ["layer 1", "layer 2"].forEach(function (name, l) {
      var label = el("label", null, widths, name + " ");
      var input = el("input", { type: "number", min: l === 0 ? "1" : "0", max: String(MAX_UI_WIDTH), step: "1", "aria-label": "neurons in hidden " + name }, label);
      input.addEventListener("change", function () { self.setWidth(l, parseInt(input.value, 10)); });
      self.widthInputs.push(input);
    });

    var biasLabel = el("label", { class: "mlpgeo-pg-check" }, controls);
    this.biasInput = el("input", { type: "checkbox" }, biasLabel);
    biasLabel.appendChild(document.createTextNode(" no biases (lines through the origin)"));
    this.biasInput.addEventListener("change", function () { self.setBiases(!self.biasInput.checked); });

    var modeLabel = el("label", null, controls, "View ");
    this.modeSelect = el("select", { "aria-label": "view" }, modeLabel);
    el("option", { value: "partition" }, this.modeSelect, "regions and codes");
    el("option", { value: "vq" }, this.modeSelect, "VQ distances");
    this.modeSelect.addEventListener("change", function () { self.setMode(self.modeSelect.value); });

    this.vqControls = el("div", { class: "mlpgeo-pg-controls mlpgeo-pg-vq" }, root);
    var kLabel = el("label", null, this.vqControls, "Shade by ");
    this.kernelSelect = el("select", { "aria-label": "shade by" }, kLabel);
    el("option", { value: "distance" }, this.kernelSelect, "VQ distance d");
    el("option", { value: "heat" }, this.kernelSelect, "heat kernel exp(\u2212d / \u03c3\u00b2)");
    this.kernelSelect.addEventListener("change", function () { self.kernel = self.kernelSelect.value; self.scheduleRender(); });
    var sLabel = el("label", { class: "mlpgeo-pg-slider" }, this.vqControls, "\u03c3\u00b2 ");
    this.sigmaInput = el("input", { type: "range", min: "-3", max: "3", step: "0.01", value: "0", "aria-label": "sigma squared (log scale around the median distance)" }, sLabel);
    this.sigmaText = el("output", null, sLabel);
    this.sigmaInput.addEventListener("input", function () {
      self.sigma2 = self.sigmaBase() * Math.exp(parseFloat(self.sigmaInput.value));
      self.kernel = "heat";
      self.kernelSelect.value = "heat";
      self.scheduleRender();
    });

    this.counter = el("div", { class: "mlpgeo-pg-counter" }, root);
    this.stage = el("div", { class: "mlpgeo-pg-stage" }, root);
    this.canvas = el("canvas", { role: "img", "aria-label": "linear regions of the network in the box" }, this.stage);
    this.overlay = el("div", { class: "mlpgeo-pg-handles" }, this.stage);
    this.legend = el("div", { class: "mlpgeo-pg-legend" }, root);
    this.info = el("div", { class: "mlpgeo-pg-info" }, root);
    this.note = el("div", { class: "mlpgeo-pg-message", role: "status" }, root);

    this.overlay.addEventListener("pointerdown", function (e) { self.onHandleDown(e); });
    this.overlay.addEventListener("keydown", function (e) { self.onHandleKey(e); });
    this.stage.addEventListener("pointermove", function (e) { self.onMove(e); });
    this.stage.addEventListener("pointerdown", function (e) { if (!self.drag) self.onStageDown(e); });
    this.stage.addEventListener("pointerup", function (e) { self.onUp(e); });
    this.stage.addEventListener("pointercancel", function (e) { self.onUp(e); });
    this.stage.addEventListener("pointerleave", function () { if (!self.drag && self.pinned == null) { self.hover = null; self.scheduleRender(); } });
    if (typeof ResizeObserver !== "undefined") {
      this.resizer = new ResizeObserver(function () { self.resize(); });
      this.resizer.observe(this.stage);
    } else {
      window.addEventListener("resize", function () { self.resize(); });
    }
    this.modeSelect.value = this.mode;
    this.resize();
  };

  // ---- network state ----------------------------------------------------------------------------------

  Playground.prototype.setData = function (x, y) {
    this.data = { x: x.map(function (p) { return [Number(p[0]), Number(p[1])]; }), y: (y || []).map(Number) };
    this.selected = null;
    if (this.net) this.changed();
  };

  // Load nested layers (validated) and an optional box. A network whose hidden biases are all zero starts with
  // "no biases" on (its lines stay through the origin when dragged).
  Playground.prototype.applyLayers = function (layers, box) {
    var net = fromNested(layers);
    if (box) this.box = checkBox(box);
    this.net = net;
    this.anchors = [];
    this.savedBias = null;
    this.noBias = net.length > 1 && net.slice(0, -1).every(function (L) { return L.b.every(function (v) { return v === 0; }); });
    this.hover = null;
    this.pinned = null;
    this.changed();
    this.syncControls();
  };

  Playground.prototype.changed = function () {
    this.version += 1;
    this.dirty = true;
    this.scheduleRender();
  };

  Playground.prototype.syncControls = function () {
    var hidden = this.net.length - 1;
    this.widthInputs[0].value = hidden >= 1 ? this.net[0].m : 0;
    this.widthInputs[1].value = hidden >= 2 ? this.net[1].m : 0;
    this.widthInputs[1].disabled = hidden > 2;
    this.widthInputs[0].disabled = hidden > 2;
    this.biasInput.checked = this.noBias;
    this.modeSelect.value = this.mode;
    this.vqControls.hidden = this.mode !== "vq";
    if (this.presetSelect.value !== this.presetKey && [].some.call(this.presetSelect.options, function (o) { return o.value === this.presetKey; }, this))
      this.presetSelect.value = this.presetKey;
  };

  // The presets of the files loaded so far: the hashing report's networks, then the VQ report's network (a
  // placeholder until its file is fetched).
  Playground.prototype.filesChanged = function () {
    var list = [], hashing = fileContent[HASHING_FILE], vq = fileContent[VQ_FILE];
    if (hashing && Array.isArray(hashing.presets)) {
      hashing.presets.forEach(function (p, i) { list.push(Object.assign({ key: "hashing:" + i, source: "hashing" }, p)); });
    }
    if (vq && vq.layers) list.push(Object.assign({ key: "vq", source: "vq_kernels" }, vq));
    else if (vq === undefined) list.push({ key: "vq", name: null, placeholder: true });
    this.presets = list;
    var select = this.presetSelect, current = this.presetKey;
    select.innerHTML = "";
    list.forEach(function (p) {
      el("option", { value: p.key, title: p.description || "" }, select, p.placeholder ? "the VQ report\u2019s network" : p.name || p.key);
    });
    el("option", { value: "random" }, select, "random network");
    el("option", { value: "custom" }, select, "edited network");
    select.value = current;
  };

  // Fetch a preset file (once per page) and remember its content (null when it is missing).
  Playground.prototype.fetchFile = function (name) {
    var self = this;
    return loadFile(name).then(function (data) {
      if (data === null && self.missing.indexOf("metrics/networks/" + name) < 0) self.missing.push("metrics/networks/" + name);
      self.filesChanged();
      return data;
    });
  };

  Playground.prototype.start = function () {
    var self = this, wanted = this.root.getAttribute("data-preset") || "", needVQ = this.mode === "vq" || wanted === "vq";
    return Promise.all([this.fetchFile(HASHING_FILE), needVQ ? this.fetchFile(VQ_FILE) : null]).then(function () {
      var loaded = self.presets.filter(function (p) { return !p.placeholder; });
      var preset = self.findPreset(wanted) || (self.mode === "vq" ? self.findPreset("vq") : null) || loaded[0];
      if (preset && preset.placeholder) preset = loaded[0];
      if (self.missing.length) {
        self.message = "Not found: " + self.missing.join(", ") + " (the reports write these files when the site is built, " +
          "make site)." + (preset ? "" : " Showing a random network instead.");
      }
      self.note.textContent = self.message;
      if (wanted && wanted !== "random" && preset && self.findPreset(wanted) !== preset) {
        self.message += (self.message ? " " : "") + "No preset named \u201c" + wanted + "\u201d; showing \u201c" + (preset.name || preset.key) + "\u201d.";
      }
      if (self.userSet) { self.presetKey = "custom"; self.syncControls(); self.describe(""); }
      else if (preset && wanted !== "random") self.selectPreset(preset.key);
      else { self.presetKey = "random"; self.syncControls(); self.describe("A random network: drag its lines."); }
      return self.state();
    });
  };

  Playground.prototype.findPreset = function (name) {
    if (!name) return null;
    var s = slug(name);
    for (var i = 0; i < this.presets.length; i++) {
      var p = this.presets[i];
      if (p.key === name || (p.name && (p.name === name || slug(p.name) === s))) return p;
    }
    return null;
  };

  Playground.prototype.selectPreset = function (key) {
    if (key === "custom") return;
    if (key === "random") {
      this.applyLayers(randomNet([6], DEFAULT_BOX, 7 + this.index + Math.floor(Math.random() * 1000)), DEFAULT_BOX);
      var moons = twoMoons(200, 0.1, 0);
      this.setData(moons.x, moons.y);
      this.sigma2Median = null;
      this.sigma2 = null;
      this.presetKey = "random";
      this.syncControls();
      this.describe("A random network: drag its lines.");
      return;
    }
    var p = this.findPreset(key), self = this;
    if (!p) return;
    if (p.placeholder) {
      this.presetSelect.value = key;
      this.note.textContent = "Loading the VQ report\u2019s network\u2026";
      this.pendingPreset = this.fetchFile(VQ_FILE).then(function (data) {
        if (data && data.layers) self.selectPreset(key);
        else self.note.textContent = "Not found: metrics/networks/" + VQ_FILE + " (the VQ report writes it when the site is built, make site).";
        return self.state();
      });
      return;
    }
    try {
      if (p.x) this.setData(p.x, p.y);
      this.applyLayers(p.layers, p.box || DEFAULT_BOX);
    } catch (err) {
      this.note.textContent = "Preset \u201c" + (p.name || key) + "\u201d is not a valid network: " + err.message;
      return;
    }
    this.sigma2Median = p.sigma2_median || null;
    this.sigma2 = null;
    this.sigmaInput.value = "0";
    this.kernel = this.kernelSelect.value = "distance";
    if (this.mode === "vq" && this.data.x.length) this.selected = 0;
    this.presetKey = p.key;
    this.syncControls();
    this.describe(p.description || "");
  };

  Playground.prototype.describe = function (text) {
    this.note.textContent = (this.message ? this.message + " " : "") + (text || "");
  };

  Playground.prototype.setWidth = function (layer, width) {
    if (!(width >= 0)) return;
    var hidden = this.net.length - 1;
    if (hidden < 1 || hidden > 2) return;
    width = Math.min(MAX_UI_WIDTH, Math.max(layer === 0 ? 1 : 0, Math.round(width)));
    var r = rng(hashCode(String(Date.now())) ^ (layer + 1) * 7919);
    var layers = toNested(this.net), j;
    var out = layers[layers.length - 1];
    var dOut = out.weight.length;
    function randomRow(d) { var row = []; for (var i = 0; i < d; i++) row.push(r.normal() / Math.sqrt(Math.max(d, 1))); return row; }
    if (layer === 0) {
      var L0 = layers[0];
      while (L0.weight.length < width) {
        var n = randomNeuron(r, this.box);
        L0.weight.push(n.w); L0.bias.push(this.noBias ? 0 : n.b);
        if (this.savedBias) this.savedBias[0].push(n.b); // restored when the biases come back
        for (j = 0; j < layers[1].weight.length; j++) layers[1].weight[j].push(r.normal() / Math.sqrt(width));
      }
      while (L0.weight.length > width) {
        L0.weight.pop(); L0.bias.pop();
        if (this.savedBias) this.savedBias[0].pop();
        for (j = 0; j < layers[1].weight.length; j++) layers[1].weight[j].pop();
      }
    } else if (hidden === 1 && width > 0) {
      var n1 = layers[0].weight.length, W2 = [], b2 = [], Wo = [];
      for (j = 0; j < width; j++) { W2.push(randomRow(n1)); b2.push(this.noBias ? 0 : 0.3 * r.normal()); }
      for (j = 0; j < dOut; j++) Wo.push(randomRow(width));
      layers.splice(1, 1, { weight: W2, bias: b2 }, { weight: Wo, bias: out.bias });
      if (this.savedBias) this.savedBias.splice(1, 0, b2.map(function () { return 0.3 * r.normal(); }));
    } else if (hidden === 2 && width === 0) {
      var nh = layers[0].weight.length, Wo2 = [];
      for (j = 0; j < dOut; j++) Wo2.push(randomRow(nh));
      layers.splice(1, 2, { weight: Wo2, bias: out.bias });
      if (this.savedBias) this.savedBias.splice(1, 1);
    } else if (hidden === 2) {
      var L1 = layers[1], n0 = layers[0].weight.length;
      while (L1.weight.length < width) {
        L1.weight.push(randomRow(n0)); L1.bias.push(this.noBias ? 0 : 0.3 * r.normal());
        for (j = 0; j < dOut; j++) layers[2].weight[j].push(r.normal() / Math.sqrt(width));
        if (this.savedBias) this.savedBias[1].push(0.3 * r.normal());
      }
      while (L1.weight.length > width) {
        L1.weight.pop(); L1.bias.pop();
        for (j = 0; j < dOut; j++) layers[2].weight[j].pop();
        if (this.savedBias) this.savedBias[1].pop();
      }
    }
    var noBias = this.noBias, saved = this.savedBias;
    this.net = fromNested(layers);
    this.noBias = noBias;
    this.savedBias = saved;
    this.anchors = [];
    this.presetKey = "custom";
    this.changed();
    this.syncControls();
  };

  // Remove (true -> false) or restore the biases of every layer.
  Playground.prototype.setBiases = function (on) {
    if (on === !this.noBias) return;
    if (!on) {
      this.savedBias = this.net.map(function (L) { return Array.prototype.slice.call(L.b); });
      this.net.forEach(function (L) { L.b.fill(0); });
      this.noBias = true;
    } else {
      var saved = this.savedBias;
      if (saved) this.net.forEach(function (L, l) { if (saved[l] && saved[l].length === L.m) L.b.set(saved[l]); });
      this.savedBias = null;
      this.noBias = false;
    }
    this.anchors = [];
    this.changed();
    this.syncControls();
  };

  Playground.prototype.setMode = function (mode) {
    this.mode = mode === "vq" ? "vq" : "partition";
    if (this.mode === "vq" && this.selected == null && this.data.x.length) this.selected = 0;
    this.syncControls();
    this.scheduleRender();
  };

  // ---- computation ------------------------------------------------------------------------------------

  // Networks this large are analysed in a worker (the page stays responsive); smaller ones at every frame.
  Playground.prototype.useWorker = function () {
    var widths = this.net.slice(0, -1).map(function (L) { return L.m; });
    var sum = widths.reduce(function (a, b) { return a + b; }, 0), max = Math.max.apply(null, widths.concat([0]));
    if (typeof Worker === "undefined" || typeof Blob === "undefined" || this.workerFailed) return false;
    return sum > 64 || max > 40 || widths.length > 3 || this.slowShapes.has(widths.join("-"));
  };

  // Bring the analysis up to date with the network: the data's codes at once; the regions at once (small
  // networks) or from the worker (large ones: the previous picture stays until the answer comes).
  Playground.prototype.compute = function () {
    if (!this.dirty) return;
    this.dirty = false;
    var t0 = performance.now(), n = this.data.x.length, codes = new Array(n);
    for (var i = 0; i < n; i++) codes[i] = forward(this.net, this.data.x[i][0], this.data.x[i][1]).bits;
    this.pointCodes = codes;
    if (this.useWorker()) {
      this.postJob();
    } else {
      var res = analyse(this.net, this.box, this.data.x, TOL), t1 = performance.now();
      this.setResult(res, this.version);
      // The whole plane costs about as much as the box: while a line is dragged, recount it only when that is
      // cheap, else a few times per second (and always when the drag ends).
      if (!this.drag || this.planeMs < 3 || t1 - this.planeAt > Math.max(250, 8 * this.planeMs)) {
        this.plane = partition(this.net, PLANE_POLYGON, TOL).polys.length;
        this.planeVersion = this.version;
        this.planeAt = performance.now();
        this.planeMs = this.planeAt - t1;
      }
      // three slow analyses in a row (not one blip of load elsewhere): this shape goes to the worker from now on
      this.slowRun = performance.now() - t0 > 120 ? (this.slowRun || 0) + 1 : 0;
      if (this.slowRun >= 3) this.slowShapes.add(this.net.slice(0, -1).map(function (L) { return L.m; }).join("-"));
      this.settle();
    }
    this.stats.computeMs += performance.now() - t0;
  };

  Playground.prototype.setResult = function (res, version) {
    var R = res.R, K = res.K, D = res.dOut * 3, verts = [], codes = [], outMaps = [];
    for (var r = 0; r < R; r++) {
      verts.push(res.verts.subarray(2 * res.offsets[r], 2 * res.offsets[r + 1]));
      codes.push(res.codes.subarray(r * K, (r + 1) * K));
      outMaps.push(res.outMaps.subarray(r * D, (r + 1) * D));
    }
    this.res = res;
    this.resVersion = version;
    this.verts = verts;
    this.regionCodes = codes;
    this.outMaps = outMaps;
    this.hashes = codes.map(function (bits) { return hashBits(bits); });
    this.pictureDirty = true;
    if (this.hover != null && this.hover >= R) this.hover = null;
    if (this.pinned != null && this.pinned >= R) this.pinned = null;
  };

  // Post the current network to the worker (one job at a time: when it finishes, the latest network follows).
  Playground.prototype.postJob = function () {
    if (!this.worker) {
      try {
        if (!workerURL) workerURL = URL.createObjectURL(new Blob([workerSource()], { type: "text/javascript" }));
        this.worker = new Worker(workerURL);
      } catch (err) {
        this.workerFailed = true;
        this.dirty = true;
        this.compute();
        return;
      }
      var self = this;
      this.worker.onmessage = function (e) { self.onWorker(e.data); };
      this.worker.onerror = function (e) {
        if (e.preventDefault) e.preventDefault();
        self.workerFailed = true;
        self.worker = null;
        self.busy = null;
        self.changed(); // analyse on the main thread instead
      };
    }
    if (this.busy) return;
    this.busy = { id: this.version, plane: !this.drag };
    this.worker.postMessage({ id: this.version, layers: toNested(this.net), box: this.box, points: this.data.x, plane: this.busy.plane });
  };

  Playground.prototype.onWorker = function (msg) {
    if (msg.kind === "box" && msg.id > this.resVersion) this.setResult(msg, msg.id);
    if (msg.kind === "plane" && msg.id > this.planeVersion) { this.plane = msg.plane; this.planeVersion = msg.id; }
    var job = this.busy;
    if (job && msg.id === job.id && (msg.kind === "plane" || !job.plane)) {
      this.busy = null;
      if (this.resVersion !== this.version || (!this.drag && this.planeVersion !== this.version)) this.postJob();
    }
    this.settle();
    this.scheduleRender();
  };

  // Resolve the promises of settled() once the picture and both counts belong to the current network.
  Playground.prototype.isSettled = function () {
    return !this.dirty && this.resVersion === this.version && this.planeVersion === this.version;
  };

  Playground.prototype.settle = function () {
    if (!this.isSettled() || !this.waiters.length) return;
    var waiters = this.waiters, state = this.state();
    this.waiters = [];
    waiters.forEach(function (resolve) { resolve(state); });
  };

  Playground.prototype.vqRow = function () {
    if (this.selected == null || !this.pointCodes || this.selected >= this.pointCodes.length) return null;
    var a = this.pointCodes[this.selected];
    return this.pointCodes.map(function (b) {
      var d = 0;
      for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
      return d;
    });
  };

  Playground.prototype.sigmaBase = function () {
    if (this.sigma2Median) return this.sigma2Median;
    // median of the off-diagonal VQ distances of the data (mlpgeo.vq.median_sigma2, linear form)
    if (!this.pointCodes || this.pointCodes.length < 2) return 1;
    var codes = this.pointCodes, ds = [], n = Math.min(codes.length, 400);
    for (var i = 0; i < n; i++) for (var j = i + 1; j < n; j++) {
      var d = 0;
      for (var k = 0; k < codes[i].length; k++) if (codes[i][k] !== codes[j][k]) d++;
      ds.push(d);
    }
    ds.sort(function (a, b) { return a - b; });
    var m = ds[Math.floor((ds.length - 1) / 2)];
    return m > 0 ? m : 1;
  };

  // ---- drawing ----------------------------------------------------------------------------------------

  Playground.prototype.resize = function () {
    var w = Math.max(120, Math.floor(this.stage.clientWidth || 300));
    var aspect = (this.box[3] - this.box[2]) / (this.box[1] - this.box[0]);
    var h = Math.round(w * Math.min(1.5, Math.max(0.4, aspect)));
    var dpr = Math.min(window.devicePixelRatio || 1, 2);
    if (this.cssW === w && this.cssH === h && this.dpr === dpr) return;
    this.cssW = w; this.cssH = h; this.dpr = dpr;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.canvas.style.height = h + "px";
    this.pictureDirty = true;
    this.scheduleRender();
  };

  Playground.prototype.toPx = function (x, y) {
    var b = this.box;
    return [(x - b[0]) / (b[1] - b[0]) * this.cssW, (b[3] - y) / (b[3] - b[2]) * this.cssH];
  };

  Playground.prototype.fromPx = function (px, py) {
    var b = this.box;
    return [b[0] + px / this.cssW * (b[1] - b[0]), b[3] - py / this.cssH * (b[3] - b[2])];
  };

  Playground.prototype.scheduleRender = function () {
    if (this.pending) return;
    this.pending = true;
    var self = this;
    requestAnimationFrame(function () { self.pending = false; self.render(); });
  };

  Playground.prototype.render = function () {
    var t0 = performance.now();
    this.resize(); // the width of the column, or the box's aspect, may have changed
    this.compute();
    var t1 = performance.now();
    var dark = this.dark();
    if (dark !== this.wasDark || this.mode !== this.pictureMode) { this.pictureDirty = true; this.wasDark = dark; this.pictureMode = this.mode; }
    if (this.res) {
      if (this.pictureDirty) this.drawPicture(dark);
      this.draw(dark);
      this.layoutHandles();
      this.writeText();
    }
    var t2 = performance.now();
    this.stats.renders += 1;
    this.stats.drawMs += t2 - t1;
    this.stats.maxFrameMs = Math.max(this.stats.maxFrameMs, t2 - t0);
  };

  Playground.prototype.dark = function () {
    return !!document.body && document.body.getAttribute("data-md-color-scheme") === "slate";
  };

  Playground.prototype.regionColour = function (hash, dark) {
    if (!this.colourCache || this.colourCache.size > 50000) this.colourCache = new Map();
    var key = dark ? -1 - hash : hash, c = this.colourCache.get(key);
    if (c) return c;
    c = "hsl(" + (hash % 360) + "," + (40 + (hash >>> 9) % 30) + "%," + (dark ? 22 + (hash >>> 17) % 14 : 76 + (hash >>> 17) % 12) + "%)";
    this.colourCache.set(key, c);
    return c;
  };

  // The regions, their boundaries and the decision boundary, drawn once per analysis on an offscreen canvas.
  Playground.prototype.drawPicture = function (dark) {
    var pic = this.picture || (this.picture = document.createElement("canvas"));
    if (pic.width !== this.canvas.width || pic.height !== this.canvas.height) { pic.width = this.canvas.width; pic.height = this.canvas.height; }
    var ctx = pic.getContext("2d"), b = this.box, dpr = this.dpr, i, k, V;
    var sx = this.cssW / (b[1] - b[0]) * dpr, sy = this.cssH / (b[3] - b[2]) * dpr, vq = this.mode === "vq", R = this.verts.length;
    function X(x) { return (x - b[0]) * sx; }
    function Y(y) { return (b[3] - y) * sy; }
    function path(V) {
      ctx.moveTo(X(V[0]), Y(V[1]));
      for (var j = 1; j < V.length / 2; j++) ctx.lineTo(X(V[2 * j]), Y(V[2 * j + 1]));
      ctx.closePath();
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    if (vq) {
      ctx.fillStyle = dark ? "#2a2d3a" : "#eef0f5";
      ctx.fillRect(0, 0, pic.width, pic.height);
    } else {
      ctx.clearRect(0, 0, pic.width, pic.height);
      for (i = 0; i < R; i++) {
        ctx.beginPath();
        path(this.verts[i]);
        ctx.fillStyle = this.regionColour(this.hashes[i], dark);
        ctx.fill();
      }
    }
    if (R <= 6000) {
      ctx.beginPath();
      for (i = 0; i < R; i++) path(this.verts[i]);
      ctx.lineWidth = dpr * (R > 1500 ? 0.4 : 0.7);
      ctx.strokeStyle = vq ? (dark ? "rgba(255,255,255,0.25)" : "rgba(40,50,90,0.3)") : (dark ? "rgba(255,255,255,0.35)" : "rgba(0,0,0,0.3)");
      ctx.stroke();
    }
    // decision boundary (output 0, or output 2 = output 1 for two outputs): one segment per region
    var dOut = this.res.dOut;
    if (dOut <= 2) {
      ctx.beginPath();
      for (i = 0; i < R; i++) {
        var om = this.outMaps[i], a1 = om[0], a2 = om[1], c = om[2];
        if (dOut === 2) { a1 = om[3] - om[0]; a2 = om[4] - om[1]; c = om[5] - om[2]; }
        V = this.verts[i];
        var n = V.length / 2, pts = [];
        for (k = 0; k < n; k++) {
          var l = (k + 1) % n, va = a1 * V[2 * k] + a2 * V[2 * k + 1] + c, vb = a1 * V[2 * l] + a2 * V[2 * l + 1] + c;
          if ((va > 0) !== (vb > 0) && va !== vb) {
            var t = va / (va - vb);
            pts.push(V[2 * k] + t * (V[2 * l] - V[2 * k]), V[2 * k + 1] + t * (V[2 * l + 1] - V[2 * k + 1]));
          }
        }
        if (pts.length >= 4) { ctx.moveTo(X(pts[0]), Y(pts[1])); ctx.lineTo(X(pts[2]), Y(pts[3])); }
      }
      ctx.lineWidth = 2.2 * dpr;
      ctx.strokeStyle = dark ? "rgba(255,255,255,0.9)" : "rgba(0,0,0,0.85)";
      ctx.stroke();
    }
    this.pictureDirty = false;
  };

  // Every frame: the picture, the first layer's lines, the highlighted region and the data.
  Playground.prototype.draw = function (dark) {
    var ctx = this.canvas.getContext("2d"), b = this.box, dpr = this.dpr, i, vq = this.mode === "vq";
    var sx = this.cssW / (b[1] - b[0]) * dpr, sy = this.cssH / (b[3] - b[2]) * dpr;
    function X(x) { return (x - b[0]) * sx; }
    function Y(y) { return (b[3] - y) * sy; }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.drawImage(this.picture, 0, 0);
    if (this.net.length > 1 && this.net[0].m <= MAX_LINES) {
      var L = this.net[0];
      for (var j = 0; j < L.m; j++) {
        var seg = clipLine(L.W[2 * j], L.W[2 * j + 1], L.b[j], b);
        if (!seg) continue;
        ctx.beginPath();
        ctx.moveTo(X(seg[0][0]), Y(seg[0][1]));
        ctx.lineTo(X(seg[1][0]), Y(seg[1][1]));
        ctx.lineWidth = (this.drag && this.drag.neuron === j ? 2.6 : L.m > 16 ? 1 : 1.5) * dpr;
        ctx.strokeStyle = NEURON_COLOURS[j % NEURON_COLOURS.length];
        ctx.globalAlpha = L.m > 16 && !(this.drag && this.drag.neuron === j) ? (vq ? 0.3 : 0.55) : 1;
        ctx.setLineDash(vq ? [4 * dpr, 3 * dpr] : []);
        ctx.stroke();
      }
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
    }
    var hl = this.pinned != null ? this.pinned : this.hover;
    if (hl != null && hl < this.verts.length && !vq) {
      var V = this.verts[hl];
      ctx.beginPath();
      ctx.moveTo(X(V[0]), Y(V[1]));
      for (var k = 1; k < V.length / 2; k++) ctx.lineTo(X(V[2 * k]), Y(V[2 * k + 1]));
      ctx.closePath();
      ctx.lineWidth = 2.5 * dpr;
      ctx.strokeStyle = dark ? "#ffd54f" : "#b00020";
      ctx.stroke();
    }
    var xs = this.data.x, ys = this.data.y, rad = Math.max(1.6, Math.min(3.2, this.cssW / 160)) * dpr;
    if (vq) {
      var row = this.vqRow(), maxD = 1, s2 = this.sigma2 || this.sigmaBase();
      if (row) for (i = 0; i < row.length; i++) maxD = Math.max(maxD, row[i]);
      for (i = 0; i < xs.length; i++) {
        var val = row ? (this.kernel === "heat" ? Math.exp(-row[i] / s2) : 1 - row[i] / maxD) : 0.5;
        ctx.beginPath();
        ctx.arc(X(xs[i][0]), Y(xs[i][1]), rad * 1.15, 0, 2 * Math.PI);
        ctx.fillStyle = row ? viridis(val) : "#888";
        ctx.fill();
      }
      if (row) {
        var p = xs[this.selected];
        ctx.beginPath();
        ctx.arc(X(p[0]), Y(p[1]), rad * 3, 0, 2 * Math.PI);
        ctx.lineWidth = 2.5 * dpr;
        ctx.strokeStyle = dark ? "#fff" : "#000";
        ctx.stroke();
      }
    } else {
      for (var cls = 0; cls < 2; cls++) {
        ctx.beginPath();
        for (i = 0; i < xs.length; i++) {
          if ((ys[i] || 0) !== cls) continue;
          var px = X(xs[i][0]), py = Y(xs[i][1]);
          ctx.moveTo(px + rad, py);
          ctx.arc(px, py, rad, 0, 2 * Math.PI);
        }
        ctx.fillStyle = dark ? CLASS_COLOURS_DARK[cls] : CLASS_COLOURS[cls];
        ctx.fill();
        ctx.lineWidth = 0.6 * dpr;
        ctx.strokeStyle = dark ? "#111" : "#fff";
        ctx.stroke();
      }
    }
  };

  // Handles: for each first-layer neuron, a move handle on its line (at its anchor) and a rotate handle.
  Playground.prototype.layoutHandles = function () {
    var overlay = this.overlay, hidden = this.net.length > 1, L = this.net[0], m = hidden && L.m <= MAX_HANDLES ? L.m : 0, b = this.box;
    if (this.handleCount !== m) {
      overlay.textContent = "";
      this.handles = [];
      for (var j = 0; j < m; j++) {
        var pair = [];
        ["move", "rotate"].forEach(function (kind) {
          var g = el("div", { class: "mlpgeo-pg-handle mlpgeo-pg-" + kind, "data-neuron": String(j), "data-handle": kind,
            tabindex: "0", role: "button", "aria-label": "neuron " + (j + 1) + (kind === "move" ?
              ": drag to move its line (or use the arrow keys)" : ": drag to turn its line (or use the arrow keys)") }, overlay);
          el("span", { class: "mlpgeo-pg-dot", style: "background:" + NEURON_COLOURS[j % NEURON_COLOURS.length] }, g);
          pair.push(g);
        });
        this.handles.push(pair);
      }
      this.handleCount = m;
    }
    var span = Math.min(b[1] - b[0], b[3] - b[2]), radius = 0.22 * span;
    var inside = function (x, y) { return x >= b[0] && x <= b[1] && y >= b[2] && y <= b[3]; };
    for (var k = 0; k < m; k++) {
      var w1 = L.W[2 * k], w2 = L.W[2 * k + 1], bk = L.b[k], nw = Math.hypot(w1, w2);
      var mv = this.handles[k][0], rt = this.handles[k][1];
      if (!(nw > 0)) { mv.style.display = "none"; rt.style.display = "none"; continue; }
      var a = this.anchors[k];
      if (!a || Math.abs(w1 * a[0] + w2 * a[1] + bk) > 1e-9 * nw * (1 + Math.abs(a[0]) + Math.abs(a[1])) || !inside(a[0], a[1])) {
        a = null;
        if (this.noBias) { // lines through the origin: handles on a circle around it, not all on the origin
          var rho = 0.3 * span, ux = -w2 / nw, uy = w1 / nw, sg = k % 2 ? -1 : 1;
          if (inside(sg * rho * ux, sg * rho * uy)) a = [sg * rho * ux, sg * rho * uy];
          else if (inside(-sg * rho * ux, -sg * rho * uy)) a = [-sg * rho * ux, -sg * rho * uy];
        }
        if (!a) {
          var cx = (b[0] + b[1]) / 2, cy = (b[2] + b[3]) / 2, t = (w1 * cx + w2 * cy + bk) / (nw * nw);
          a = [cx - t * w1, cy - t * w2];
          if (!inside(a[0], a[1])) a = [Math.min(b[1], Math.max(b[0], a[0])), Math.min(b[3], Math.max(b[2], a[1]))];
        }
        this.anchors[k] = a;
      }
      var onLine = Math.abs(w1 * a[0] + w2 * a[1] + bk) <= 1e-9 * nw * (1 + Math.abs(a[0]) + Math.abs(a[1]));
      var pa = this.toPx(a[0], a[1]);
      mv.style.display = "";
      mv.style.transform = "translate(" + pa[0].toFixed(1) + "px," + pa[1].toFixed(1) + "px)";
      mv.classList.toggle("mlpgeo-pg-outside", !onLine);
      var dx = -w2 / nw, dy = w1 / nw, side = rt.sideSign || 1;
      var q = [a[0] + side * radius * dx, a[1] + side * radius * dy];
      if (!inside(q[0], q[1]) && !(this.drag && this.drag.neuron === k)) {
        side = -side;
        q = [a[0] + side * radius * dx, a[1] + side * radius * dy];
      }
      if (this.noBias || !onLine || !inside(q[0], q[1])) { rt.style.display = "none"; continue; }
      rt.sideSign = side;
      var pq = this.toPx(q[0], q[1]);
      rt.style.display = "";
      rt.style.transform = "translate(" + pq[0].toFixed(1) + "px," + pq[1].toFixed(1) + "px)";
    }
  };

  Playground.prototype.writeText = function () {
    var res = this.res, R = res.R, hidden = this.net.length - 1, current = this.resVersion === this.version;
    var widths = this.net.slice(0, -1).map(function (L) { return L.m; }), nz = 0;
    if (hidden) for (var j = 0; j < this.net[0].m; j++) if (this.net[0].W[2 * j] !== 0 || this.net[0].W[2 * j + 1] !== 0) nz++;
    var arch = "2\u2013" + widths.concat([this.net[this.net.length - 1].m]).join("\u2013");
    var planeText = this.planeVersion === this.version ? " (" + this.plane + " on the whole plane)" :
      this.drag && this.plane != null ? " (" + this.plane + "\u2026 on the whole plane)" : " (whole plane: counting\u2026)";
    var parts = [
      "<b>" + arch + "</b> network: " + (current ? "<b>" + R + "</b> regions in the box" + planeText :
        "counting the regions\u2026 (" + R + " before the last change)"),
    ];
    if (hidden) {
      parts.push("Zaslavsky\u2019s bound for " + nz + " line" + (nz === 1 ? "" : "s") + (this.noBias ? " through the origin" : "") + ": <b>" + zaslavsky(nz, this.noBias) + "</b>" +
        (hidden > 1 ? " (layer 1 alone: " + res.layerCounts[0] + " in the box)" : ""));
    }
    parts.push("Codes holding data: <b>" + res.used + "</b> of " + R + " (" + this.data.x.length + " points)");
    var counter = parts.map(function (t) { return "<span class=\"mlpgeo-pg-item\">" + t + "</span>"; }).join("");
    if (counter !== this.counterHTML) { this.counter.innerHTML = counter; this.counterHTML = counter; }

    if (this.mode === "vq") {
      var row = this.vqRow(), s2 = this.sigma2 || this.sigmaBase();
      this.sigmaText.textContent = " " + fmt(s2, 2) + (this.sigma2Median ? " (median " + fmt(this.sigma2Median, 2) + ")" : "");
      if (!row) {
        this.legend.textContent = "";
        this.info.textContent = "Click (or tap) a data point: every other point is shaded by its VQ distance to it.";
        return;
      }
      var maxD = 0, same = -1, heat = this.kernel === "heat";
      row.forEach(function (d) { maxD = Math.max(maxD, d); if (d === 0) same++; });
      this.legend.innerHTML = "<span>" + (heat ? "exp(\u2212d/\u03c3\u00b2) = 1" : "d = 0") + "</span><span class=\"mlpgeo-pg-ramp\"></span><span>" +
        (heat ? "0" : "d = " + maxD) + "</span>";
      var p = this.data.x[this.selected];
      this.info.textContent = "Point " + this.selected + " at (" + fmt(p[0], 2) + ", " + fmt(p[1], 2) + "), class " + (this.data.y[this.selected] || 0) +
        ": the others are shaded by " + (heat ? "the heat kernel exp(\u2212d/\u03c3\u00b2)" : "their VQ distance d") +
        " (bits that differ, summed over the hidden layers; largest here " + maxD + " of " + widths.reduce(function (a, b) { return a + b; }, 0) +
        "). " + same + " other point" + (same === 1 ? " shares" : "s share") + " its code. Click another point.";
      return;
    }
    this.legend.textContent = "";
    var r = this.pinned != null ? this.pinned : this.hover;
    if (r == null || r >= R) {
      this.info.textContent = !hidden ? "" : this.net[0].m > MAX_HANDLES ?
        "Hover over (or tap) a region to read its code and its affine map. (Networks with more than " + MAX_HANDLES + " first-layer neurons have no handles.)" :
        "Hover over (or tap) a region to read its code and its affine map; " + (this.noBias ?
          "drag a handle to turn its line about the origin." : "drag a round handle to move a line, a diamond to turn it.");
      return;
    }
    var bits = this.regionCodes[r], start = 0, groups = [];
    widths.forEach(function (w) { groups.push(codeKey(bits.subarray(start, start + w))); start += w; });
    var om = this.outMaps[r], dOut = res.dOut, maps = [];
    for (var o = 0; o < dOut; o++) maps.push((dOut > 1 ? "f" + (o + 1) : "f") + "(x) = " + affineText(om[3 * o], om[3 * o + 1], om[3 * o + 2]));
    var count = 0;
    for (var i = 0; i < res.pointRegion.length; i++) if (res.pointRegion[i] === r) count++;
    this.info.innerHTML = "";
    el("div", null, this.info, "Code " + groups.join(" | ") + (hidden > 1 ? "  (layer by layer)" : ""));
    el("div", null, this.info, maps.join(";  "));
    el("div", null, this.info, count + " data point" + (count === 1 ? "" : "s") + " in this region");
  };

  // ---- interaction ------------------------------------------------------------------------------------

  Playground.prototype.eventPoint = function (e) {
    var rect = this.canvas.getBoundingClientRect();
    return this.fromPx(e.clientX - rect.left, e.clientY - rect.top);
  };

  Playground.prototype.onHandleDown = function (e) {
    var g = e.target.closest ? e.target.closest("[data-handle]") : null;
    if (!g) return;
    e.preventDefault();
    e.stopPropagation();
    var j = parseInt(g.getAttribute("data-neuron"), 10), kind = g.getAttribute("data-handle"), p = this.eventPoint(e);
    var a = this.anchors[j] || p;
    this.drag = { neuron: j, kind: kind, pointer: e.pointerId, offset: [p[0] - a[0], p[1] - a[1]], pivot: a.slice() };
    try { this.stage.setPointerCapture(e.pointerId); } catch (err) { /* synthetic events */ }
    g.classList.add("mlpgeo-pg-active");
    this.presetKey = "custom";
    this.syncControls();
    this.scheduleRender();
  };

  Playground.prototype.clampToBox = function (p) {
    var b = this.box;
    return [Math.min(b[1], Math.max(b[0], p[0])), Math.min(b[3], Math.max(b[2], p[1]))];
  };

  // Move neuron j's line so that it passes through p (keeping its normal), or turn it about `pivot`
  // so that it passes through p (keeping the norm of its weight and, continuously, its orientation).
  Playground.prototype.moveLine = function (j, p) {
    var L = this.net[0], w1 = L.W[2 * j], w2 = L.W[2 * j + 1];
    L.b[j] = -(w1 * p[0] + w2 * p[1]);
    this.anchors[j] = p.slice();
  };

  Playground.prototype.turnLine = function (j, pivot, p) {
    var L = this.net[0], w1 = L.W[2 * j], w2 = L.W[2 * j + 1], nw = Math.hypot(w1, w2);
    var ux = p[0] - pivot[0], uy = p[1] - pivot[1], nu = Math.hypot(ux, uy);
    if (!(nu > 1e-9 * (this.box[1] - this.box[0])) || !(nw > 0)) return false;
    var dx = -w2 / nw, dy = w1 / nw; // current direction
    if (ux * dx + uy * dy < 0) { ux = -ux; uy = -uy; }
    var nx = uy / nu * nw, ny = -ux / nu * nw; // w = |w| (d_y, -d_x)
    L.W[2 * j] = nx; L.W[2 * j + 1] = ny;
    L.b[j] = -(nx * pivot[0] + ny * pivot[1]);
    return true;
  };

  Playground.prototype.onMove = function (e) {
    if (this.drag && e.pointerId === this.drag.pointer) {
      e.preventDefault();
      var p = this.clampToBox(this.eventPoint(e)), d = this.drag, j = d.neuron;
      if (this.noBias) {
        if (this.turnLine(j, [0, 0], p)) this.anchors[j] = p;
      } else if (d.kind === "move") {
        this.moveLine(j, this.clampToBox([p[0] - d.offset[0], p[1] - d.offset[1]]));
      } else {
        this.turnLine(j, d.pivot, p);
        this.anchors[j] = d.pivot.slice();
      }
      this.changed();
      return;
    }
    if (this.pinned != null) return;
    this.hover = this.regionAt(this.eventPoint(e));
    this.scheduleRender();
  };

  Playground.prototype.onUp = function (e) {
    if (!this.drag || e.pointerId !== this.drag.pointer) return;
    this.overlay.querySelectorAll(".mlpgeo-pg-active").forEach(function (g) { g.classList.remove("mlpgeo-pg-active"); });
    this.drag = null;
    this.changed(); // refresh the whole-plane count
  };

  // The region under a point of the box (the first polygon that holds it; convex, counter-clockwise).
  Playground.prototype.regionAt = function (p) {
    var b = this.box;
    if (!this.verts || p[0] < b[0] || p[0] > b[1] || p[1] < b[2] || p[1] > b[3]) return null;
    var eps = 1e-12 * (b[1] - b[0]) * (b[3] - b[2]);
    for (var i = 0; i < this.verts.length; i++) {
      var V = this.verts[i], n = V.length / 2, ok = true;
      for (var k = 0; k < n && ok; k++) {
        var l = k + 1 < n ? k + 1 : 0;
        ok = (V[2 * l] - V[2 * k]) * (p[1] - V[2 * k + 1]) - (V[2 * l + 1] - V[2 * k + 1]) * (p[0] - V[2 * k]) >= -eps;
      }
      if (ok) return i;
    }
    return null;
  };

  Playground.prototype.onStageDown = function (e) {
    var p = this.eventPoint(e);
    if (this.mode === "vq") {
      var best = -1, bd = Infinity, rect = this.canvas.getBoundingClientRect();
      for (var i = 0; i < this.data.x.length; i++) {
        var q = this.toPx(this.data.x[i][0], this.data.x[i][1]);
        var d = Math.hypot(q[0] - (e.clientX - rect.left), q[1] - (e.clientY - rect.top));
        if (d < bd) { bd = d; best = i; }
      }
      if (best >= 0 && bd <= 24) { this.selected = best; this.scheduleRender(); }
      return;
    }
    var r = this.regionAt(p);
    this.pinned = this.pinned === r || e.pointerType === "mouse" ? null : r;
    this.hover = r;
    this.scheduleRender();
  };

  Playground.prototype.onHandleKey = function (e) {
    var g = e.target.closest ? e.target.closest("[data-handle]") : null;
    if (!g) return;
    var j = parseInt(g.getAttribute("data-neuron"), 10), kind = g.getAttribute("data-handle");
    var step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[e.key];
    if (!step) return;
    e.preventDefault();
    var L = this.net[0], b = this.box, a = this.anchors[j];
    if (!a) return;
    if (kind === "move" && !this.noBias) {
      var s = 0.01 * (b[1] - b[0]);
      this.moveLine(j, this.clampToBox([a[0] + step[0] * s, a[1] + step[1] * s]));
    } else {
      var angle = (step[0] + step[1]) * Math.PI / 90, c = Math.cos(angle), sn = Math.sin(angle);
      var w1 = L.W[2 * j], w2 = L.W[2 * j + 1], pivot = this.noBias ? [0, 0] : a;
      L.W[2 * j] = c * w1 - sn * w2; L.W[2 * j + 1] = sn * w1 + c * w2;
      L.b[j] = -(L.W[2 * j] * pivot[0] + L.W[2 * j + 1] * pivot[1]);
    }
    this.presetKey = "custom";
    this.syncControls();
    this.changed();
  };

  // ---- the public interface ---------------------------------------------------------------------------

  Playground.prototype.api = function () {
    var self = this;
    return {
      element: this.root,
      ready: this.ready,
      /* Show the network `layers` (list of {weight, bias}; weight (out, in), nested arrays; the first takes the
       * 2-D input; ReLU after every layer but the last). options.box: [xmin, xmax, ymin, ymax]; options.x,
       * options.y: data points and labels. Returns state(). */
      setNetwork: function (layers, options) {
        options = options || {};
        self.userSet = true;
        if (options.x) self.setData(options.x, options.y);
        self.applyLayers(layers, options.box || null);
        self.presetKey = "custom";
        self.syncControls();
        self.resize();
        self.render();
        return self.state(options);
      },
      setBox: function (box) { self.box = checkBox(box); self.anchors = []; self.changed(); self.resize(); self.render(); return self.state(); },
      /* {regions, box, regionsPlane, layerRegions, widths, zaslavsky, codesWithData, points, biases, mode, preset,
       * pending, layers, message}; options.codes adds every region's code ("0101|11..." strings, layer by layer);
       * options.vq adds the selected point and its row of VQ distances. */
      state: function (options) { return self.state(options); },
      // A promise of state() once the regions and the whole-plane count belong to the network shown.
      settled: function () {
        self.compute();
        if (self.isSettled()) return Promise.resolve(self.state());
        return new Promise(function (resolve) { self.waiters.push(resolve); });
      },
      presets: function () { return self.presets.map(function (p) { return { key: p.key, name: p.name, box: p.box }; }); },
      selectPreset: function (key) { self.userSet = true; self.selectPreset(key); self.render(); return self.state(); },
      setBiases: function (on) { self.setBiases(!!on); self.render(); return self.state(); },
      setMode: function (mode) { self.setMode(mode); self.render(); return self.state(); },
      selectPoint: function (i) { self.selected = i; self.render(); return self.state({ vq: true }); },
      setSigma2: function (s2) {
        self.sigma2 = s2;
        self.sigmaInput.value = String(Math.log(s2 / self.sigmaBase()));
        self.kernel = self.kernelSelect.value = "heat";
        self.render();
        return self.state({ vq: true });
      },
      stats: function () { return Object.assign({}, self.stats); },
      resetStats: function () { self.stats = { renders: 0, computeMs: 0, drawMs: 0, maxFrameMs: 0 }; },
      render: function () { self.render(); return self.state(); },
      core: core,
    };
  };

  Playground.prototype.state = function (options) {
    options = options || {};
    this.compute();
    var widths = this.net.slice(0, -1).map(function (L) { return L.m; }), res = this.res;
    var current = !!res && this.resVersion === this.version;
    var out = {
      regions: current ? res.R : null, // null while a worker counts them (see settled())
      regionsPlane: this.planeVersion === this.version ? this.plane : null,
      layerRegions: current ? Array.prototype.slice.call(res.layerCounts) : null,
      box: this.box.slice(),
      widths: widths,
      zaslavsky: widths.length ? zaslavsky(this.net[0].m, this.noBias) : 1,
      codesWithData: current ? res.used : null,
      points: this.data.x.length,
      biases: !this.noBias,
      mode: this.mode,
      preset: this.presetKey,
      pending: !this.isSettled(),
      layers: toNested(this.net),
      message: this.note.textContent,
      renders: this.stats.renders,
    };
    if (options.codes && current) {
      out.codes = this.regionCodes.map(function (bits) {
        var s = [], start = 0;
        widths.forEach(function (w) { s.push(codeKey(bits.subarray(start, start + w))); start += w; });
        return s.join("|");
      });
    }
    if (options.data) out.data = { x: this.data.x.map(function (p) { return p.slice(); }), y: this.data.y.slice() };
    if (options.vq) {
      out.selected = this.selected;
      out.distances = this.vqRow();
      out.sigma2 = this.sigma2 || this.sigmaBase();
      out.sigma2Median = this.sigma2Median;
      out.kernel = this.kernel;
      out.heat = out.distances ? out.distances.map(function (d) { return Math.exp(-d / out.sigma2); }) : null;
    }
    return out;
  };

  // ---- start ------------------------------------------------------------------------------------------

  function initAll() {
    var nodes = document.querySelectorAll("div.mlpgeo-playground");
    var list = window.mlpgeoPlaygrounds = [];
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      if (!node.mlpgeoPlayground) {
        try {
          node.mlpgeoPlayground = new Playground(node, i).api();
        } catch (err) {
          node.textContent = "The playground could not start: " + err.message;
          continue;
        }
      }
      list.push(node.mlpgeoPlayground);
    }
    window.mlpgeoPlayground = list[0];
    if (list.length && !schemeWatch && typeof MutationObserver !== "undefined" && document.body) {
      // Material's light/dark toggle: redraw in the new colours
      schemeWatch = new MutationObserver(function () { instances.forEach(function (pg) { pg.scheduleRender(); }); });
      schemeWatch.observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
    }
  }
  var schemeWatch = null;

  window.mlpgeoPlaygroundCore = core;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initAll);
  else initAll();
  if (typeof window.document$ !== "undefined" && window.document$.subscribe) window.document$.subscribe(function () { initAll(); });
})();
