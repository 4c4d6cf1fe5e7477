/* Accessibility repairs for the book theme's own markup.
 *
 * The sidebar's expand/collapse toggles are <summary> elements holding only an
 * icon, so a screen reader announces them without a name (axe rule summary-name).
 * Name each after the section it opens.
 */
(function () {
  "use strict";
  function nameToggles() {
    Array.prototype.forEach.call(document.querySelectorAll("nav details > summary"), function (summary) {
      if (summary.textContent.trim() || summary.hasAttribute("aria-label")) return;
      var link = summary.parentElement.parentElement.querySelector("a");
      var section = link ? link.textContent.trim() : "this section";
      summary.setAttribute("aria-label", "Show or hide the pages under " + section);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", nameToggles);
  else nameToggles();
})();
