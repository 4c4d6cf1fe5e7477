/* Accessibility repairs for the book theme's own markup.
 *
 * 1. The sidebar's expand/collapse toggles are <summary> elements holding only an
 *    icon, so a screen reader announces them without a name (axe rule summary-name).
 *    Name each after the section it opens.
 * 2. The theme's search field button shows "Search Ctrl+K" but is named "Search" by its
 *    aria-label, so speech-input users who say what they see ("click Search Ctrl K") miss it
 *    (WCAG 2.5.3 Label in Name; axe rule label-content-name-mismatch). A button that shows
 *    text is named by that text: its aria-label goes, and the shortcut is announced as one.
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
  function visibleText(element) {
    return (element.textContent || "").replace(/\s+/g, " ").trim();
  }
  function nameButtonsByTheirText() {
    Array.prototype.forEach.call(document.querySelectorAll("button[aria-label]"), function (button) {
      var shown = visibleText(button);
      var label = button.getAttribute("aria-label");
      if (!shown || label.toLowerCase().indexOf(shown.toLowerCase()) !== -1) return;
      button.removeAttribute("aria-label");
      if (button.querySelector("kbd")) button.setAttribute("aria-keyshortcuts", "Control+K Meta+K");
    });
  }
  function repair() {
    nameToggles();
    nameButtonsByTheirText();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", repair);
  else repair();
})();
