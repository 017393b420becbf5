"""Steps shared by the browser tests (tests/e2e): answers that reveal every
question of the default instrument, and a page filler that answers like a
person would, with the page's own script running."""

from __future__ import annotations

#: Answers to the default instrument's show_if sources that show every question.
SHOW_ALL = {
    "INT_PROFILE_3": "Y",  # works on procurement: INT_PBJ_03..06
    "INT_SOS_03": "4",  # knows how to report: INT_SOS_04
    "EXT_PROFILE_2": "3",  # used the service: most external questions
    "EXT_PROFILE_5": "Y",  # complained: EXT_SOS_04
    "EXT_IT_01": "Y",  # was asked for money: EXT_FOLLOW_1..3
    "EXP_PROFILE_3": "Y",  # knows the office's procurement
}

#: ``page.evaluate(FILL, prefer)`` answers every visible question of the
#: page, top to bottom: ``prefer`` {question id: code or "a;b"}, else the
#: first option, "50000" in number fields and a short text. A change event
#: after each answer lets the page's script reveal the questions that
#: depend on it before the loop reaches them.
FILL = """(prefer) => {
  for (const fieldset of document.querySelectorAll("fieldset.question")) {
    if (fieldset.hidden) continue;
    const id = fieldset.id.slice(2);
    const choices = [...fieldset.querySelectorAll("input[type=radio], input[type=checkbox]")];
    if (choices.length) {
      const wanted = prefer[id] ? prefer[id].split(";") : [choices[0].value];
      for (const input of choices) {
        if (wanted.includes(input.value)) {
          input.checked = true;
          input.dispatchEvent(new Event("change", {bubbles: true}));
        }
      }
    } else {
      const field = fieldset.querySelector("textarea, input");
      field.value = field.inputMode === "decimal" ? "50000" : "Tidak ada.";
      field.dispatchEvent(new Event("input", {bubbles: true}));
      field.dispatchEvent(new Event("change", {bubbles: true}));
    }
  }
}"""
