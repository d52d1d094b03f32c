// MathJax 3, served from this site (assets/mathjax), loaded only on pages with math (overrides/main.html).
// Typesets the Markdown pages' arithmatex spans and the $...$ / $$...$$ math that notebook cells leave in
// the page. Only the components named here are copied into the site (MATHJAX_FILES in the Makefile):
// TeX input, CommonHTML output and assistive MathML; autoload fetches rarer TeX packages from
// input/tex/extensions on first use.
window.MathJax = {
  loader: {
    load: ["input/tex", "output/chtml", "a11y/assistive-mml"],
    paths: { mathjax: document.currentScript.src.replace(/javascripts\/mathjax-config\.js.*$/, "assets/mathjax") },
  },
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
};
