"""Search entries from prose: raw TeX turned into readable text, code left out.

Material's search plugin indexes each page section's text. Code inputs and outputs of the notebook pages
are already kept out (``data-search-exclude``, see :mod:`mlpgeo_site.notebook`); this module cleans what
is left in ``search/search_index.json`` after the build: TeX (``$...$``, ``\\(...\\)``, arithmatex
spans) becomes plain text with Unicode symbols, so excerpts read "z = W x + b", not "\\(z = W x + b\\)".
"""

from __future__ import annotations

import json
import re
from pathlib import Path

SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π",
    "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈", "sim": "~",
    "times": "×", "cdot": "·", "cdots": "…", "ldots": "…", "dots": "…", "pm": "±", "mp": "∓", "infty": "∞",
    "in": "∈", "notin": "∉", "subset": "⊂", "subseteq": "⊆", "cup": "∪", "cap": "∩", "to": "→",
    "rightarrow": "→", "mapsto": "↦", "leftarrow": "←", "Rightarrow": "⇒", "iff": "⇔", "sum": "Σ",
    "prod": "Π", "int": "∫", "partial": "∂", "nabla": "∇", "sqrt": "√", "top": "ᵀ", "circ": "∘",
    "lVert": "‖", "rVert": "‖", "Vert": "‖", "lvert": "|", "rvert": "|", "mid": "|", "langle": "⟨",
    "rangle": "⟩", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "log": "log", "ln": "ln",
    "exp": "exp", "max": "max", "min": "min", "det": "det", "arg": "arg", "sin": "sin", "cos": "cos",
    "quad": " ", "qquad": " ", ",": " ", ";": " ", "!": "", " ": " ",
}
BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ"}
SUPERSCRIPTS = str.maketrans("0123456789+-=()nTi", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿᵀⁱ")
MATH = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\\((.+?)\\\)|(?<![\w$\\])\$([^\s$](?:[^$]{0,400}?[^\s$])?)\$(?![\w$])", re.S)


def tex_to_text(tex: str) -> str:
    """Readable plain text for a TeX expression (a best effort for search excerpts, not a renderer)."""
    text = re.sub(r"\\(?:mathbb|mathbf|boldsymbol|bm)\{(\w)\}", lambda m: BLACKBOARD.get(m.group(1), m.group(1)), tex)
    text = re.sub(r"\\(?:text|mathrm|operatorname|mathit|mathcal|mathsf|textbf|emph)\{([^{}]*)\}", r"\1", text)
    text = re.sub(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}", r"(\1)/(\2)", text)
    text = re.sub(r"\\(?:left|right|big|Big|bigg|Bigg)(?=[\\()\[\]|.{}])", "", text)
    text = re.sub(r"\\([A-Za-z]+|[,;! ])", lambda m: SYMBOLS.get(m.group(1), m.group(1)), text)
    text = re.sub(r"\^\{([0-9+\-=()nTi]+)\}|\^([0-9nTi])", lambda m: (m.group(1) or m.group(2)).translate(SUPERSCRIPTS), text)
    text = re.sub(r"\\([{}$%&_#])", r"\1", text)
    text = text.replace("{", "").replace("}", "").replace("&", " ").replace("\\", " ")
    return re.sub(r"\s+", " ", text).strip()


def clean_text(text: str) -> str:
    """``text`` with every TeX expression replaced by :func:`tex_to_text` (a few passes: a stray ``$`` can pair
    with the wrong one first)."""
    for _ in range(3):
        cleaned = MATH.sub(lambda m: tex_to_text(next(g for g in m.groups() if g is not None)), text)
        if cleaned == text:
            break
        text = cleaned
    return text


def clean_index(path: Path) -> dict[str, int]:
    """Rewrite Material's ``search_index.json`` in place with TeX-free titles and texts.

    Returns:
        ``{"entries": n, "bytes_before": b0, "bytes_after": b1}``.
    """
    raw = path.read_text(encoding="utf-8")
    index = json.loads(raw)
    for doc in index.get("docs", []):
        for key in ("title", "text"):
            if isinstance(doc.get(key), str):
                doc[key] = clean_text(doc[key])
    out = json.dumps(index, ensure_ascii=False, separators=(",", ":"))
    path.write_text(out, encoding="utf-8")
    return {"entries": len(index.get("docs", [])), "bytes_before": len(raw.encode()), "bytes_after": len(out.encode())}
