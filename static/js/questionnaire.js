// The questionnaire page's script. The form works without it: the server
// decides which questions show, and every button is a plain POST.
(function () {
  "use strict";
  var form = document.querySelector("form.questionnaire");
  if (!form) { return; }
  var dependents = form.querySelectorAll("fieldset[data-show-if]");

  // -- questions that depend on an answer on this page, shown at once --------

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

  // -- saving as answers change ------------------------------------------------
  // Each change is sent to the page's save address (with the form's CSRF
  // token) and kept on the server exactly as "next" keeps it, so closing
  // the browser, losing the connection for a while or switching language
  // loses nothing. Nothing is kept in the browser's storage: on a shared
  // phone the next person must not find the answers there.

  var saveUrl = form.getAttribute("data-save");
  var status = document.getElementById("save-status");
  var dirty = false;       // answers changed since the last save that went through
  var inflight = null;     // the save on its way, a Promise
  var typingTimer = null;
  var retryTimer = null;
  var leaving = false;     // a button was pressed: the page's own POST takes over

  function say(key) {
    if (!status) { return; }
    status.textContent = status.getAttribute("data-" + key) || "";
    status.className = "help save-status " + key;
  }

  function save() {
    if (!saveUrl || leaving) { return Promise.resolve(); }
    if (inflight) {
      // One save at a time; another follows if answers changed meanwhile.
      return inflight.then(function () { return dirty ? save() : undefined; });
    }
    dirty = false;
    window.clearTimeout(retryTimer);
    inflight = fetch(saveUrl, {
      method: "POST", body: new FormData(form), credentials: "same-origin"
    }).then(function (response) {
      if (response.status === 204) { say("saved"); return; }
      if (response.status === 410) { saveUrl = null; return; }   // already sent
      dirty = true;
      say("failed");
    }, function () {
      // No connection: keep the answers on the page, try again later.
      dirty = true;
      say("offline");
      retryTimer = window.setTimeout(save, 5000);
    }).then(function () { inflight = null; });
    return inflight;
  }

  function changed(event) {
    dirty = true;
    window.clearTimeout(typingTimer);
    if (event.target && event.target.tagName === "TEXTAREA" ||
        event.target && event.target.type === "text") {
      typingTimer = window.setTimeout(save, 700);   // save a pause in typing
    } else {
      save();
    }
  }

  function flush() {
    window.clearTimeout(typingTimer);
    return dirty ? save() : (inflight || Promise.resolve());
  }

  if (saveUrl) {
    form.addEventListener("change", changed);
    form.addEventListener("input", changed);
    window.addEventListener("online", function () { if (dirty) { save(); } });

    // Switching language reloads the page from what is saved: save first.
    document.querySelectorAll("nav.lang a").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (!dirty && !inflight) { return; }
        event.preventDefault();
        var go = function () { window.location.href = link.href; };
        flush().then(go, go);
      });
    });

    // The page is closing with a change not yet saved (typing just now).
    window.addEventListener("pagehide", function () {
      if (dirty && !leaving && navigator.sendBeacon) {
        navigator.sendBeacon(saveUrl, new FormData(form));
      }
    });
  }

  // -- the buttons ---------------------------------------------------------------

  form.addEventListener("submit", function (event) {
    if (inflight && !leaving) {
      // Let the save on its way land first, so it cannot overwrite what
      // this button saves; then press the same button again.
      event.preventDefault();
      var button = event.submitter;
      leaving = true;
      inflight.then(function () {
        if (button && form.requestSubmit) { form.requestSubmit(button); }
        else { form.submit(); }
      });
      return;
    }
    leaving = true;
    // A second tap on send while the first is on its way does nothing here;
    // the server stores one response whatever arrives.
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });

  var errors = document.getElementById("form-errors");
  if (errors) { errors.focus(); }
}());
