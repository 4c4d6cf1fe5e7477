/* Kernel-free versions of the course's interactive components, for the published book.
 *
 * The Python package renders each component's markup and data (see
 * toolkit_course/components); this script only wires up the controls. All legal
 * analysis is precomputed in Python and looked up here, so no rule is written twice.
 * It makes no network requests and needs no library.
 */
(function () {
  "use strict";

  function readData(root) {
    return JSON.parse(root.querySelector("script.tc-data").textContent);
  }

  function el(tag, className, html) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (html !== undefined) node.innerHTML = html; // html comes from the course's own rendered data
    return node;
  }

  /* ---------- Quiz (also case cards and sorters) ---------- */
  function initQuiz(root) {
    var data = readData(root);
    var results = {};
    var summary = root.querySelector(".tc-summary");

    function updateSummary() {
      var checked = Object.keys(results).length;
      var right = Object.keys(results).filter(function (k) { return results[k]; }).length;
      var total = data.questions.length;
      summary.textContent = "Score: " + right + " of " + total + " correct" +
        (checked < total ? " (" + (total - checked) + " not yet answered)." : ".");
    }

    data.questions.forEach(function (q) {
      var fieldset = root.querySelector('[data-question="' + q.id + '"]');
      var region = fieldset.querySelector(".tc-feedback-region");
      fieldset.querySelector(".tc-check").addEventListener("click", function () {
        var chosen = Array.prototype.filter.call(fieldset.querySelectorAll("input"), function (i) {
          return i.checked;
        }).map(function (i) { return i.value; }).sort();
        if (!chosen.length) {
          region.innerHTML = "<p>Choose an answer first, then press Check answer.</p>";
          return;
        }
        var correct = chosen.join(",") === q.answer.join(",");
        results[q.id] = correct;
        var box = el("div", "tc-feedback " + (correct ? "tc-right" : "tc-wrong"));
        box.appendChild(el("p", "tc-verdict", '<span aria-hidden="true">' + (correct ? "✓" : "✗") +
          "</span> " + (correct ? "Correct." : "Not quite.")));
        var list = el("ul", "tc-option-feedback");
        q.options.forEach(function (o) {
          var isRight = q.answer.indexOf(o.id) !== -1;
          var mine = chosen.indexOf(o.id) !== -1 ? " <em>(your answer)</em>" : "";
          list.appendChild(el("li", "", "<strong>" + o.text + "</strong>" + mine + " — " +
            (isRight ? "the right answer" : "not the right answer") + ": " + q.feedback[o.id]));
        });
        box.appendChild(list);
        box.appendChild(el("div", "tc-explanation", "<strong>Why:</strong> " + q.explanation));
        box.appendChild(el("p", "tc-source", "<strong>Source:</strong> " + q.source));
        region.innerHTML = "";
        region.appendChild(box);
        updateSummary();
      });
    });

    root.querySelector(".tc-retry").addEventListener("click", function () {
      results = {};
      Array.prototype.forEach.call(root.querySelectorAll("input"), function (i) { i.checked = false; });
      Array.prototype.forEach.call(root.querySelectorAll(".tc-feedback-region"), function (r) { r.innerHTML = ""; });
      updateSummary();
      var first = root.querySelector("input");
      if (first) first.focus();
    });
    updateSummary();
  }

  /* ---------- Legal-elements classifier ---------- */
  function initClassifier(root) {
    var data = readData(root);
    var result = root.querySelector(".tc-result");
    var picker = root.querySelector(".tc-case-picker");
    var facts = root.querySelector(".tc-case-facts");

    function ticked(name) {
      var box = root.querySelector('input[value="' + name + '"]');
      return box && box.checked ? "1" : "0";
    }
    function key(names) { return names.map(ticked).join(""); }

    function part(title, a) {
      return '<div class="tc-analysis-part"><p><strong>' + title + ':</strong> <span aria-hidden="true">' +
        (a.established ? "✓" : "✗") + "</span> " + (a.established ? "established" : "not established") +
        "</p><p>" + escapeText(a.conclusion) + '</p><p class="tc-source"><strong>Source:</strong> ' +
        escapeText(a.source) + "</p></div>";
    }

    root.querySelector(".tc-analyse").addEventListener("click", function () {
      var t = data.outcomes.trafficking[key(data.order.trafficking)];
      var s = data.outcomes.smuggling[key(data.order.smuggling)];
      var c = data.outcomes.classification[key(data.order.classification)];
      var html = '<div class="tc-analysis"><p class="tc-verdict">On the elements you ticked: <strong>' +
        data.labels[c] + "</strong>.</p>" + part("Trafficking in persons", t) + part("Smuggling of migrants", s);
      var model = picker && picker.value ? data.cases[picker.value] : null;
      if (model) {
        html += '<div class="tc-model"><p><strong>Model answer for this case:</strong> ' + model.classification +
          ".</p><p>Elements the facts show: " + (model.elements.length ? model.elements.map(escapeText).join("; ") : "none") +
          ".</p>" + model.reasoning + '<p class="tc-source"><strong>Source:</strong> ' + model.source + "</p></div>";
      }
      result.innerHTML = html + "</div>";
    });

    if (picker) {
      picker.addEventListener("change", function () {
        facts.innerHTML = picker.value ? data.cases[picker.value].facts : "";
        Array.prototype.forEach.call(root.querySelectorAll('input[type="checkbox"]'), function (b) { b.checked = false; });
        result.innerHTML = "";
      });
    }
  }

  /* ---------- Branching scenario ---------- */
  function initScenario(root) {
    var data = readData(root);
    var stage = root.querySelector(".tc-stage");
    var choices = root.querySelector(".tc-choices");
    var current, path, last;

    function tag(flag) {
      if (flag === true) return ' <span class="tc-tag tc-tag-good">respects rights</span>';
      if (flag === false) return ' <span class="tc-tag tc-tag-risk">puts rights at risk</span>';
      return "";
    }

    function show(moveFocus) {
      var step = data.steps[current];
      var html = "";
      if (last) {
        html += '<div class="tc-consequence"><p><strong>You chose:</strong> ' + last.label +
          "</p><p><strong>What happens:</strong></p>" + last.consequence + "</div>";
      }
      html += step.text;
      choices.innerHTML = "";
      if (step.ending) {
        html += '<div class="tc-debrief"><h4>Debrief</h4>' + data.debrief.text + "<p><strong>Read more:</strong></p><ul>" +
          data.debrief.links.map(function (l) { return "<li>" + l.label + " (" + l.source + ")</li>"; }).join("") +
          '</ul><h4>Your path</h4><ol class="tc-path">' +
          path.map(function (d) { return "<li>" + d.label + tag(d.rights_respected) + "</li>"; }).join("") + "</ol></div>";
        var again = el("button", "tc-button tc-restart", "Play again");
        again.type = "button";
        again.addEventListener("click", function () { start(true); });
        choices.appendChild(again);
      } else {
        step.choices.forEach(function (choice) {
          var button = el("button", "tc-button tc-choice", choice.label);
          button.type = "button";
          button.addEventListener("click", function () {
            last = choice;
            path.push(choice);
            current = choice.next;
            show(true);
          });
          choices.appendChild(button);
        });
      }
      stage.innerHTML = html;
      // Move focus to the new text so keyboard and screen-reader users follow the story.
      if (moveFocus) stage.focus();
    }

    function start(moveFocus) {
      current = data.start;
      path = [];
      last = null;
      show(moveFocus);
    }
    start(false);
  }

  /* ---------- Calibration checklist ---------- */
  function initChecklist(root) {
    var data = readData(root);
    var result = root.querySelector(".tc-result");
    var rating = null;

    function answers() {
      var chosen = {};
      data.questions.forEach(function (q) {
        var box = root.querySelector('[data-question="' + q.id + '"] input:checked');
        if (box) chosen[q.id] = parseInt(box.value, 10);
      });
      return chosen;
    }

    // The rule is toolkit_course.components.checklist.rate(), and its tables come from Python in the
    // embedded data: level_for_score (the level each possible score reaches) and each option's ceiling
    // (the highest level it allows; lower for a harmful answer). Here we only add the points and take
    // the lowest of the score's level and the chosen answers' ceilings. No thresholds live in this file.
    function rate() {
      var chosen = answers();
      var missing = data.questions.filter(function (q) { return !(q.id in chosen); });
      if (missing.length) {
        result.innerHTML = "<p>Answer every question first. Not answered: " +
          missing.map(function (q) { return data.questions.indexOf(q) + 1; }).join(", ") + ".</p>";
        return null;
      }
      var options = data.questions.map(function (q) { return q.options[chosen[q.id]]; });
      var score = options.reduce(function (sum, o) { return sum + o.points; }, 0);
      var reached = data.level_for_score[score];
      var index = Math.min.apply(null, [reached].concat(options.map(function (o) { return o.ceiling; })));
      return {
        score: score, max: data.max_score, level: data.levels[index], chosen: chosen,
        gaps: options.filter(function (o) { return o.gap; }),
        cappedBy: options.filter(function (o) { return o.ceiling < reached; }).map(function (o) { return o.label; })
      };
    }

    function capNote(rating) {
      return rating.cappedBy.length ? "<p class=\"tc-cap\"><strong>The points alone would place it higher, but this " +
        "answer caps the rating:</strong> " + rating.cappedBy.map(escapeText).join("; ") + "</p>" : "";
    }

    root.querySelector(".tc-rate").addEventListener("click", function () {
      rating = rate();
      if (!rating) return;
      result.innerHTML = '<div class="tc-rating"><p class="tc-verdict">Rating: <strong>' + escapeText(rating.level.label) +
        "</strong> (" + rating.score + " of " + rating.max + " points).</p><p>" + escapeText(rating.level.meaning) + "</p>" +
        capNote(rating) + (rating.gaps.length ? '<p><strong>Gaps and suggested mitigations:</strong></p><ul class="tc-gaps">' +
          rating.gaps.map(function (g) {
            return "<li><strong>" + escapeText(g.gap) + "</strong> Suggested mitigation: " + escapeText(g.mitigation) + "</li>";
          }).join("") + "</ul>" : "<p>No gaps found on these questions.</p>") + "</div>";
    });

    root.querySelector(".tc-save").addEventListener("click", function () {
      rating = rate();
      if (!rating) return;
      var name = root.querySelector(".tc-name").value || "(not named)";
      var rows = data.questions.map(function (q) {
        return "<tr><td>" + escapeText(q.text) + "</td><td>" + escapeText(q.options[rating.chosen[q.id]].label) + "</td></tr>";
      }).join("");
      var report = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>' + escapeText(data.title) +
        "</title></head><body><h1>" + escapeText(data.title) + "</h1><p><strong>" + escapeText(data.labels.name) + ":</strong> " + escapeText(name) +
        "<br><strong>Date:</strong> " + new Date().toISOString().slice(0, 10) + "</p><h2>Rating: " +
        escapeText(rating.level.label) + " (" + rating.score + " of " + rating.max + " points)</h2><p>" +
        escapeText(rating.level.meaning) + "</p>" + capNote(rating) + "<h2>Gaps and suggested mitigations</h2><ul>" +
        rating.gaps.map(function (g) { return "<li>" + escapeText(g.gap) + " Suggested mitigation: " + escapeText(g.mitigation) + "</li>"; }).join("") +
        "</ul><h2>Answers</h2><table>" + rows + "</table><p><small>Scale: " + escapeText(data.source) +
        ". The rating is a prompt for discussion, not a verdict.</small></p></body></html>";
      var link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([report], { type: "text/html" }));
      link.download = "intervention-rating.html";
      document.body.appendChild(link);
      link.click();
      link.remove();
      result.insertAdjacentHTML("beforeend", '<p role="status">Report saved to your downloads as intervention-rating.html.</p>');
    });
  }

  function escapeText(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  var INIT = { quiz: initQuiz, classifier: initClassifier, scenario: initScenario, checklist: initChecklist };

  function initAll() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-tc-component]"), function (root) {
      var init = INIT[root.getAttribute("data-tc-component")];
      if (init && !root.hasAttribute("data-tc-ready")) {
        root.setAttribute("data-tc-ready", "");
        init(root);
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initAll);
  else initAll();
})();
