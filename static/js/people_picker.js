/* The people picker (personnel/widgets.py): turns a <select data-people-picker> into a search box
   with the chosen people as chips above it. The <select> stays in the form and is what is posted;
   this script only selects and orders its options. Without the script the select still works.
   Each option carries data-search (name, pinyin initials, full pinyin, department), computed by
   the server; every word typed must occur in it. */
(function () {
  "use strict";
  var LIMIT = 50;

  function matches(option, words) {
    var keys = (option.getAttribute("data-search") || option.textContent).toLowerCase();
    for (var i = 0; i < words.length; i++) {
      if (keys.indexOf(words[i]) === -1) return false;
    }
    return true;
  }

  function enhance(select) {
    var multiple = select.multiple;
    var ordered = select.getAttribute("data-ordered") === "1";
    var box = document.createElement("div");
    box.className = "people-picker";
    var chosen = document.createElement("ul");
    chosen.className = "pp-chosen";
    chosen.setAttribute("aria-live", "polite");
    var search = document.createElement("input");
    search.type = "search";
    search.className = "pp-search";
    search.autocomplete = "off";
    search.placeholder = select.getAttribute("data-placeholder") || "";
    var results = document.createElement("ul");
    results.className = "pp-results";
    results.setAttribute("role", "listbox");
    results.hidden = true;
    var label = select.id ? document.querySelector('label[for="' + select.id + '"]') : null;
    search.setAttribute("aria-label", (label ? label.textContent.trim() : "人员") + "：搜索");
    if (select.id) {
      // The field's label now points at the search box, so a click on it starts a search.
      search.id = select.id + "_search";
      if (label) label.setAttribute("for", search.id);
    }
    select.hidden = true;
    select.parentNode.insertBefore(box, select);
    box.appendChild(chosen);
    box.appendChild(search);
    box.appendChild(results);
    box.appendChild(select);
    var active = -1;

    function people() {
      return Array.prototype.filter.call(select.options, function (o) { return o.value !== ""; });
    }

    function drawChosen() {
      chosen.textContent = "";
      people().filter(function (o) { return o.selected; }).forEach(function (option, n) {
        var chip = document.createElement("li");
        chip.className = "pp-chip";
        chip.setAttribute("data-value", option.value);
        chip.textContent = (ordered ? (n + 1) + ". " : "") + option.textContent.trim();
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "pp-remove";
        remove.textContent = "×";
        remove.setAttribute("aria-label", "移除 " + option.textContent.trim());
        remove.addEventListener("click", function () {
          option.selected = false;
          changed();
        });
        chip.appendChild(remove);
        chosen.appendChild(chip);
      });
    }

    function drawResults() {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      results.textContent = "";
      active = -1;
      if (!words.length && document.activeElement !== search) {
        results.hidden = true;
        return;
      }
      var found = people().filter(function (o) { return !o.selected && matches(o, words); });
      found.slice(0, LIMIT).forEach(function (option) {
        var item = document.createElement("li");
        item.className = "pp-option";
        item.setAttribute("role", "option");
        item.setAttribute("data-value", option.value);
        item.textContent = option.textContent.trim();
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();  // keep the focus in the search box
          pick(option);
        });
        results.appendChild(item);
      });
      if (!found.length) {
        var none = document.createElement("li");
        none.className = "pp-none";
        none.textContent = words.length ? "没有符合条件的人员" : "没有可选的人员";
        results.appendChild(none);
      } else if (found.length > LIMIT) {
        var more = document.createElement("li");
        more.className = "pp-none";
        more.textContent = "另有 " + (found.length - LIMIT) + " 人，请输入更多字符缩小范围";
        results.appendChild(more);
      }
      results.hidden = false;
    }

    function pick(option) {
      if (!multiple) {
        people().forEach(function (o) { o.selected = false; });
      } else if (ordered) {
        // Posted in the order of the options: the newly picked one goes after those picked before.
        var last = people().filter(function (o) { return o.selected; }).pop();
        select.insertBefore(option, last ? last.nextSibling : select.firstChild);
      }
      option.selected = true;
      search.value = "";
      changed();
      // The list closes after a pick so it covers nothing (the form's buttons lie below it); typing
      // opens it again. A single choice is done: the focus leaves the box.
      results.hidden = true;
      if (multiple) {
        search.focus();
      } else {
        search.blur();
      }
    }

    function changed() {
      drawChosen();
      drawResults();
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function highlight(step) {
      var items = results.querySelectorAll(".pp-option");
      if (!items.length) return;
      active = (active + step + items.length) % items.length;
      Array.prototype.forEach.call(items, function (item, n) {
        item.classList.toggle("active", n === active);
        item.setAttribute("aria-selected", n === active ? "true" : "false");
      });
    }

    search.addEventListener("input", drawResults);
    search.addEventListener("focus", drawResults);
    search.addEventListener("blur", function () { results.hidden = true; });
    search.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        highlight(event.key === "ArrowDown" ? 1 : -1);
      } else if (event.key === "Enter") {
        // Enter picks a person; it never submits the form from here.
        event.preventDefault();
        var items = results.querySelectorAll(".pp-option");
        var item = items[active >= 0 ? active : 0];
        if (item) {
          pick(people().filter(function (o) { return o.value === item.getAttribute("data-value"); })[0]);
        }
      } else if (event.key === "Escape") {
        search.value = "";
        results.hidden = true;
      }
    });
    drawChosen();
  }

  function init(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("select[data-people-picker]"), function (select) {
      if (!select.hasAttribute("data-picker-ready")) {
        select.setAttribute("data-picker-ready", "1");
        enhance(select);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(); });
  } else {
    init();
  }
})();
