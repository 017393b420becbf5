// Shows and hides questions that depend on an answer on the same page, at
// once. The server decides the same on submit, so the form works without it.
(function () {
  "use strict";
  var form = document.querySelector("form.questionnaire");
  if (!form) { return; }
  var dependents = form.querySelectorAll("fieldset[data-show-if]");

  function chosen(name) {
    var values = [];
    form.querySelectorAll("input[name='" + name + "']").forEach(function (input) {
      if (input.checked) { values.push(input.value); }
    });
    return values;
  }

  function update() {
    dependents.forEach(function (fieldset) {
      var wanted = fieldset.getAttribute("data-show-codes").split(" ");
      var show = chosen(fieldset.getAttribute("data-show-if")).some(function (code) {
        return wanted.indexOf(code) !== -1;
      });
      fieldset.hidden = !show;
      var hint = fieldset.querySelector(".condition");
      if (hint) { hint.hidden = true; }
      if (!show) {
        // A hidden question must not send an answer.
        fieldset.querySelectorAll("input, textarea").forEach(function (input) {
          if (input.type === "radio" || input.type === "checkbox") { input.checked = false; }
          else { input.value = ""; }
        });
      }
    });
  }

  form.addEventListener("change", update);
  update();

  // A second tap on send while the first is on its way does nothing here;
  // the server stores one response whatever arrives.
  form.addEventListener("submit", function () {
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });

  var errors = document.getElementById("form-errors");
  if (errors) { errors.focus(); }
}());
