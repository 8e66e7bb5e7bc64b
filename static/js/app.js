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

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("select[name$='period_kind']"), function (select) {
      if (select.form) { setUpPeriod(select.form, select); }
    });
    var firstError = document.querySelector(".field.has-error input, .field.has-error select, .field.has-error textarea");
    if (firstError) {
      var details = firstError.closest("details");
      if (details) { details.open = true; }
      firstError.focus();
    }
  });
})();
