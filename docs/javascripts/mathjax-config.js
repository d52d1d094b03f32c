// MathJax 3, served from this site (assets/mathjax). Typesets the Markdown pages' arithmatex spans
// and the $...$ / $$...$$ math that notebook cells leave in the page.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    skipHtmlTags: ["script", "noscript", "style", "textarea", "pre", "code"],
    ignoreHtmlClass: "tex2jax_ignore|mathjax_ignore",
  },
  loader: { paths: { mathjax: document.currentScript.src.replace(/javascripts\/mathjax-config\.js.*$/, "assets/mathjax") } },
};

// Material's instant navigation swaps page content without reloading: typeset again each time.
if (typeof document$ !== "undefined") {
  document$.subscribe(() => {
    if (window.MathJax && window.MathJax.typesetPromise) {
      MathJax.startup.output.clearCache();
      MathJax.typesetClear();
      MathJax.texReset();
      MathJax.typesetPromise();
    }
  });
}
