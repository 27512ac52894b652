// Staff pages (issue 16): a table wider than the screen scrolls sideways inside its
// .overflow-auto box; such a box must be reachable with the keyboard (WCAG 2.1.1, axe
// "scrollable-region-focusable") and says so to screen readers. No other behaviour here.
(function () {
  function mark() {
    document.querySelectorAll(".overflow-auto").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1 && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.classList.add("scrolls");
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mark);
  } else {
    mark();
  }
  window.addEventListener("resize", mark);
})();
