/* Small progressive enhancements. Everything works without this file (CSP: script-src 'self'). */
(function () {
  "use strict";

  var PERIOD_FIELDS = {
    term: ["period_value", "period_unit"],
    date: ["declassify_date"],
    condition: ["declassify_condition"],
    long: ["long_term_basis"]
  };
  var ALL_PERIOD_FIELDS = ["period_value", "period_unit", "declassify_date", "declassify_condition", "long_term_basis"];
  var STATE_SECRET_ONLY = ["period_kind", "period_special", "period_special_reason"].concat(ALL_PERIOD_FIELDS);

  function container(form, prefix, name) {
    return form.querySelector("#field-" + prefix + name);
  }

  function show(box, visible) {
    if (!box) { return; }
    // A field with an error always stays visible so the message can be read.
    box.hidden = !visible && !box.classList.contains("has-error");
  }

  function setUpPeriod(form, kindSelect) {
    var prefix = kindSelect.name.slice(0, kindSelect.name.length - "period_kind".length);
    var levelSelect = form.querySelector("[name='" + prefix + "level']");
    var special = form.querySelector("[name='" + prefix + "period_special']");

    function refresh() {
      var stateSecret = !levelSelect || levelSelect.value === "" || parseInt(levelSelect.value, 10) > 1;
      STATE_SECRET_ONLY.forEach(function (name) { show(container(form, prefix, name), stateSecret); });
      if (!stateSecret) { return; }
      var wanted = PERIOD_FIELDS[kindSelect.value] || [];
      ALL_PERIOD_FIELDS.forEach(function (name) {
        show(container(form, prefix, name), wanted.indexOf(name) !== -1);
      });
      show(container(form, prefix, "period_special_reason"), special && special.checked);
    }

    kindSelect.addEventListener("change", refresh);
    if (levelSelect) { levelSelect.addEventListener("change", refresh); }
    if (special) { special.addEventListener("change", refresh); }
    refresh();
  }

  function valueOf(form, name) {
    var controls = form.querySelectorAll("[name='" + name + "']");
    for (var i = 0; i < controls.length; i++) {
      var control = controls[i];
      if (control.type !== "radio" && control.type !== "checkbox") { return control.value; }
      if (control.checked) { return control.value; }
    }
    return "";
  }

  // A field required only with another field's value (data-required-if="level:3,4": 份号 for
  // 机密/绝密) shows its red * as soon as it is. The server decides; this only tells in advance.
  function setUpRequiredIf(input) {
    var form = input.form;
    var box = input.closest(".field");
    if (!form || !box) { return; }
    var rule = input.getAttribute("data-required-if");
    var other = rule.slice(0, rule.lastIndexOf(":"));
    var values = rule.slice(rule.lastIndexOf(":") + 1).split(",");

    function refresh() {
      var required = values.indexOf(valueOf(form, other)) !== -1;
      box.classList.toggle("required", required);
      input.setAttribute("aria-required", required ? "true" : "false");
    }

    Array.prototype.forEach.call(form.querySelectorAll("[name='" + other + "']"), function (control) {
      control.addEventListener("change", refresh);
    });
    refresh();
  }

  // The top menu's groups (templates/includes/main_menu.html): a button opens its list; Esc, a
  // click elsewhere or focus leaving the group closes it; arrow keys move within the list.
  function setUpMenu(nav) {
    nav.classList.add("js-menu");
    var groups = Array.prototype.slice.call(nav.querySelectorAll(".navgroup"));

    function setOpen(group, open) {
      group.classList.toggle("open", open);
      group.querySelector(".navgroup-toggle").setAttribute("aria-expanded", open ? "true" : "false");
    }
    function links(group) { return Array.prototype.slice.call(group.querySelectorAll(".navmenu a")); }

    groups.forEach(function (group) {
      var toggle = group.querySelector(".navgroup-toggle");
      toggle.addEventListener("click", function () {
        var open = !group.classList.contains("open");
        groups.forEach(function (other) { setOpen(other, false); });
        setOpen(group, open);
      });
      group.addEventListener("keydown", function (event) {
        var items = links(group);
        var at = items.indexOf(document.activeElement);
        if (event.key === "Escape") {
          setOpen(group, false);
          toggle.focus();
        } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          setOpen(group, true);
          var step = event.key === "ArrowDown" ? 1 : -1;
          var next = at === -1 ? (step > 0 ? 0 : items.length - 1) : (at + step + items.length) % items.length;
          if (items[next]) { items[next].focus(); }
        }
      });
      group.addEventListener("focusout", function (event) {
        if (!group.contains(event.relatedTarget)) { setOpen(group, false); }
      });
    });
    document.addEventListener("click", function (event) {
      groups.forEach(function (group) { if (!group.contains(event.target)) { setOpen(group, false); } });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var nav = document.querySelector("nav.mainnav");
    if (nav) { setUpMenu(nav); }
    Array.prototype.forEach.call(document.querySelectorAll("select[name$='period_kind']"), function (select) {
      if (select.form) { setUpPeriod(select.form, select); }
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-required-if]"), setUpRequiredIf);
    var firstError = document.querySelector(".field.has-error input, .field.has-error select, .field.has-error textarea");
    if (firstError) {
      var details = firstError.closest("details");
      if (details) { details.open = true; }
      firstError.focus();
    }
  });
})();
