/* Kernel-free versions of the course's interactive components, for the published book.
 *
 * One render path: the Python package renders every piece of markup these components can show,
 * with the same Jinja templates as the Jupyter widgets, into the page (<template> elements and
 * hidden blocks; see toolkit_course/components and toolkit_course/templates). This script only
 * shows, hides, clones and looks things up, and fills values in with textContent. It holds no
 * markup and no user-facing words of its own (tests/test_render_path.py checks this).
 *
 * All legal analysis and rating rules are precomputed in Python and looked up here.
 * A learner's answers are kept in this browser's localStorage, on the device only, keyed by page
 * and component id. The script makes no network requests and needs no library.
 */
(function () {
  "use strict";

  /* ---------- Looking things up and showing them ---------- */
  function all(node, selector) {
    return Array.prototype.slice.call(node.querySelectorAll(selector));
  }

  function readData(root) {
    return JSON.parse(root.querySelector("script.tc-data").textContent);
  }

  // The first <template> under `node` with this class whose data attributes match `match`.
  function findTemplate(node, className, match) {
    return all(node, "template." + className).filter(function (t) {
      return Object.keys(match || {}).every(function (name) {
        return t.getAttribute("data-" + name) === String(match[name]);
      });
    })[0];
  }

  // A copy of a pre-rendered template's content (a DocumentFragment).
  function copyOf(node, className, match) {
    return findTemplate(node, className, match).content.cloneNode(true);
  }

  // A copy of a template whose content is one element.
  function elementCopyOf(node, className, match) {
    return copyOf(node, className, match).firstElementChild;
  }

  function empty(region) {
    while (region.firstChild) region.removeChild(region.firstChild);
  }

  function put(region, content) {
    empty(region);
    region.appendChild(content);
  }

  function fill(node, slot, value) {
    all(node, '[data-slot="' + slot + '"]').forEach(function (s) { s.textContent = String(value); });
  }

  function showWhen(node, name, visible) {
    all(node, '[data-when="' + name + '"]').forEach(function (e) { e.hidden = !visible; });
  }

  /* ---------- Answers kept on this device only ---------- */
  var store = (function () {
    var prefix = "toolkit-course:" + window.location.pathname + "#";
    var ok;
    try {
      window.localStorage.setItem(prefix + "probe", "1");
      window.localStorage.removeItem(prefix + "probe");
      ok = true;
    } catch (e) {
      ok = false; // storage switched off (some private windows): the components still work, nothing is kept
    }
    return {
      ok: ok,
      load: function (id) {
        if (!ok) return null;
        try { return JSON.parse(window.localStorage.getItem(prefix + id)); } catch (e) { return null; }
      },
      save: function (id, value) {
        if (!ok) return;
        try { window.localStorage.setItem(prefix + id, JSON.stringify(value)); } catch (e) { /* storage full */ }
      },
      clear: function (id) {
        if (ok) window.localStorage.removeItem(prefix + id);
      }
    };
  })();

  // The "Clear my answers on this device" control under a component.
  function deviceControls(root, reset) {
    var box = root.querySelector(".tc-clear");
    if (!box) return;
    if (!store.ok) {
      box.hidden = true; // nothing is kept, so there is nothing to clear
      return;
    }
    box.querySelector(".tc-clear-answers").addEventListener("click", function () {
      reset();
      store.clear(root.id);
      put(box.querySelector(".tc-cleared"), copyOf(box, "tc-cleared-template"));
    });
  }

  /* ---------- Quiz (also case cards and sorters) ---------- */
  function initQuiz(root) {
    var data = readData(root);
    var results = {};
    var summary = root.querySelector(".tc-summary");

    function fieldsetOf(q) {
      return all(root, "fieldset[data-question]").filter(function (f) {
        return f.getAttribute("data-question") === q.id;
      })[0];
    }

    function chosenIn(fieldset) {
      return all(fieldset, "input").filter(function (i) { return i.checked; })
        .map(function (i) { return i.value; }).sort();
    }

    function updateSummary() {
      var checked = Object.keys(results);
      var right = checked.filter(function (k) { return results[k]; }).length;
      var total = data.questions.length;
      fill(summary, "right", right);
      fill(summary, "total", total);
      fill(summary, "missing", total - checked.length);
      showWhen(summary, "unanswered", checked.length < total);
    }

    function save() {
      var selected = {};
      data.questions.forEach(function (q) { selected[q.id] = chosenIn(fieldsetOf(q)); });
      store.save(root.id, { selected: selected, checked: Object.keys(results) });
    }

    function check(q) {
      var fieldset = fieldsetOf(q);
      var region = fieldset.querySelector(".tc-feedback-region");
      var chosen = chosenIn(fieldset);
      if (!chosen.length) {
        put(region, copyOf(root, "tc-choose-first-template"));
        return;
      }
      var correct = chosen.join(",") === q.answer.slice().sort().join(",");
      var box = elementCopyOf(fieldset, "tc-feedback-template");
      box.classList.toggle("tc-right", correct);
      box.classList.toggle("tc-wrong", !correct);
      showWhen(box, "right", correct);
      showWhen(box, "wrong", !correct);
      all(box, "[data-option]").forEach(function (item) {
        showWhen(item, "selected", chosen.indexOf(item.getAttribute("data-option")) !== -1);
      });
      put(region, box);
      results[q.id] = correct;
      updateSummary();
    }

    function reset() {
      results = {};
      all(root, "input").forEach(function (i) { i.checked = false; });
      all(root, ".tc-feedback-region").forEach(empty);
      updateSummary();
    }

    data.questions.forEach(function (q) {
      fieldsetOf(q).querySelector(".tc-check").addEventListener("click", function () {
        check(q);
        save();
      });
    });
    root.addEventListener("change", save);

    root.querySelector(".tc-retry").addEventListener("click", function () {
      reset();
      store.clear(root.id);
      var first = root.querySelector("input");
      if (first) first.focus();
    });
    deviceControls(root, reset);

    // A return visit: tick what was ticked and show the feedback that was shown.
    var saved = store.load(root.id) || {};
    var wasChecked = Array.isArray(saved.checked) ? saved.checked : [];
    data.questions.forEach(function (q) {
      var picked = (saved.selected || {})[q.id];
      if (!Array.isArray(picked)) picked = [];
      all(fieldsetOf(q), "input").forEach(function (i) { i.checked = picked.indexOf(i.value) !== -1; });
      if (wasChecked.indexOf(q.id) !== -1) check(q);
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
      var box = all(root, 'input[type="checkbox"]').filter(function (b) { return b.value === name; })[0];
      return box && box.checked ? "1" : "0";
    }
    function key(names) { return names.map(ticked).join(""); }

    root.querySelector(".tc-analyse").addEventListener("click", function () {
      var outcome = {
        trafficking: data.outcomes.trafficking[key(data.order.trafficking)],
        smuggling: data.outcomes.smuggling[key(data.order.smuggling)]
      };
      var box = elementCopyOf(root, "tc-analysis-template");
      fill(box, "classification", data.labels[data.outcomes.classification[key(data.order.classification)]]);
      ["trafficking", "smuggling"].forEach(function (crime) {
        var part = box.querySelector('[data-crime="' + crime + '"]');
        showWhen(part, "crime-established", outcome[crime].established);
        showWhen(part, "crime-not-established", !outcome[crime].established);
        fill(part, "conclusion", outcome[crime].conclusion);
        fill(part, "source", outcome[crime].source);
      });
      if (picker && picker.value) {
        box.querySelector(".tc-model-region").appendChild(copyOf(root, "tc-model-template", { "case": picker.value }));
      }
      put(result, box);
    });

    if (picker) {
      picker.addEventListener("change", function () {
        empty(facts);
        if (picker.value) facts.appendChild(copyOf(root, "tc-facts-template", { "case": picker.value }));
        all(root, 'input[type="checkbox"]').forEach(function (b) { b.checked = false; });
        empty(result);
      });
    }
  }

  /* ---------- Branching scenario ---------- */
  function initScenario(root) {
    var data = readData(root);
    var stage = root.querySelector(".tc-stage");
    var choices = root.querySelector(".tc-choices");
    var current, path;

    function show(moveFocus) {
      empty(stage);
      if (path.length) {
        var last = path[path.length - 1];
        stage.appendChild(copyOf(root, "tc-consequence-template", { step: last.step, choice: last.choice }));
      }
      stage.appendChild(copyOf(root, "tc-step-template", { step: current }));
      if (data.steps[current].ending) {
        var debrief = copyOf(root, "tc-debrief-template");
        var list = debrief.querySelector(".tc-path");
        path.forEach(function (d) {
          list.appendChild(copyOf(root, "tc-path-item-template", { step: d.step, choice: d.choice }));
        });
        stage.appendChild(debrief);
      }
      var buttons = copyOf(root, "tc-choices-template", { step: current });
      all(buttons, "button.tc-choice").forEach(function (button) {
        button.addEventListener("click", function () {
          choose(parseInt(button.getAttribute("data-choice"), 10));
          store.save(root.id, { choices: path.map(function (d) { return d.choice; }) });
          show(true);
        });
      });
      all(buttons, "button.tc-restart").forEach(function (button) {
        button.addEventListener("click", function () {
          start();
          store.clear(root.id);
          show(true);
        });
      });
      put(choices, buttons);
      // Move focus to the new text so keyboard and screen-reader users follow the story.
      if (moveFocus) stage.focus();
    }

    // Returns false when the choice does not exist here (a saved path from an older version of the story).
    function choose(index) {
      var step = data.steps[current];
      if (step.ending || !(index >= 0 && index < step.next.length)) return false;
      path.push({ step: current, choice: index });
      current = step.next[index];
      return true;
    }

    function start() {
      current = data.start;
      path = [];
    }

    start();
    var saved = (store.load(root.id) || {}).choices;
    if (Array.isArray(saved)) saved.every(choose);
    deviceControls(root, function () { start(); show(false); });
    show(false);
  }

  /* ---------- Calibration checklist ---------- */
  function initChecklist(root) {
    var data = readData(root);
    var result = root.querySelector(".tc-result");
    var nameBox = root.querySelector(".tc-name");
    var rated = false;

    function fieldsetOf(q) {
      return all(root, "fieldset[data-question]").filter(function (f) {
        return f.getAttribute("data-question") === q.id;
      })[0];
    }

    function answers() {
      var chosen = {};
      data.questions.forEach(function (q) {
        var box = fieldsetOf(q).querySelector("input:checked");
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
      var missing = [];
      data.questions.forEach(function (q, n) { if (!(q.id in chosen)) missing.push(n + 1); });
      if (missing.length) {
        var note = elementCopyOf(root, "tc-missing-template");
        fill(note, "missing", missing.join(", "));
        put(result, note);
        return null;
      }
      var options = data.questions.map(function (q) { return q.options[chosen[q.id]]; });
      var score = options.reduce(function (sum, o) { return sum + o.points; }, 0);
      var reached = data.level_for_score[score];
      var index = Math.min.apply(null, [reached].concat(options.map(function (o) { return o.ceiling; })));
      return {
        score: score, level: data.levels[index], chosen: chosen,
        gaps: options.filter(function (o) { return o.gap; }),
        cappedBy: options.filter(function (o) { return o.ceiling < reached; }).map(function (o) { return o.label; })
      };
    }

    // Fills the rating into the page's result block or into the report document: both come from
    // the same templates (checklist_result, checklist_report, checklist_cap, checklist_gap).
    function fillRating(node, rating) {
      fill(node, "level", rating.level.label);
      fill(node, "score", rating.score);
      fill(node, "max_score", data.max_score);
      fill(node, "meaning", rating.level.meaning);
      fill(node, "capped-by", rating.cappedBy.join("; "));
      showWhen(node, "capped", rating.cappedBy.length > 0);
      showWhen(node, "gaps", rating.gaps.length > 0);
      showWhen(node, "no-gaps", rating.gaps.length === 0);
      var list = node.querySelector(".tc-gaps");
      rating.gaps.forEach(function (g) {
        var item = elementCopyOf(root, "tc-gap-template");
        fill(item, "gap", g.gap);
        fill(item, "mitigation", g.mitigation);
        list.appendChild(list.ownerDocument.importNode(item, true));
      });
    }

    function showRating() {
      var rating = rate();
      rated = Boolean(rating);
      if (!rating) return null;
      var box = elementCopyOf(root, "tc-rating-template");
      fillRating(box, rating);
      put(result, box);
      return rating;
    }

    // The report is the template's own document (checklist_report.html.j2), parsed, filled and saved.
    function report(rating) {
      var source = root.querySelector("script.tc-report-source");
      var doc = new DOMParser().parseFromString(source.textContent, "text/html");
      fillRating(doc, rating);
      if (nameBox.value.trim()) fill(doc, "name", nameBox.value.trim());
      fill(doc, "date", new Date().toISOString().slice(0, 10));
      all(doc, "tr[data-question]").forEach(function (row) {
        var q = data.questions.filter(function (x) { return x.id === row.getAttribute("data-question"); })[0];
        if (q) fill(row, "answer", q.options[rating.chosen[q.id]].label);
      });
      var text = new XMLSerializer().serializeToString(doc.doctype) + "\n" + doc.documentElement.outerHTML;
      return { file: source.getAttribute("data-file"), blob: new Blob([text], { type: "text/html" }) };
    }

    function save() {
      store.save(root.id, { name: nameBox.value, answers: answers(), rated: rated });
    }

    root.querySelector(".tc-rate").addEventListener("click", function () {
      showRating();
      save();
    });

    root.querySelector(".tc-save").addEventListener("click", function () {
      var rating = showRating();
      save();
      if (!rating) return;
      var saved = report(rating);
      var link = root.querySelector("a.tc-download");
      link.href = URL.createObjectURL(saved.blob);
      link.setAttribute("download", saved.file);
      link.click();
      result.appendChild(copyOf(root, "tc-saved-template"));
    });

    root.addEventListener("change", save);
    nameBox.addEventListener("input", save);

    function reset() {
      nameBox.value = "";
      all(root, 'input[type="radio"]').forEach(function (i) { i.checked = false; });
      empty(result);
      rated = false;
    }
    deviceControls(root, reset);

    // A return visit: restore the name, the answers and, if it was rated, the rating.
    var saved = store.load(root.id) || {};
    if (typeof saved.name === "string") nameBox.value = saved.name;
    data.questions.forEach(function (q) {
      var index = (saved.answers || {})[q.id];
      all(fieldsetOf(q), "input").forEach(function (i) { i.checked = parseInt(i.value, 10) === index; });
    });
    if (saved.rated) showRating();
  }

  var INIT = { quiz: initQuiz, classifier: initClassifier, scenario: initScenario, checklist: initChecklist };

  function initAll() {
    all(document, "[data-tc-component]").forEach(function (root) {
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
