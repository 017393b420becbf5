"""Helpers shared by test modules (importable because setup.cfg puts
``tests/lib`` on ``pythonpath``): a respondent's browser for the test client,
and staff sign-in."""

from __future__ import annotations

import re

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"

# The small instrument's internal pages (tests/conftest.py): profile, alpha,
# beta, closing.
PAGE_ANSWERS = {
    1: {"INT_P1": "Y"},
    2: {"INT_A1": "2", "INT_A2": "1", "INT_A3": "3"},
    3: {"INT_B1": "4", "INT_B2": "9"},
    4: {"INT_M": ["a", "b"], "INT_N": "25000", "INT_T": "Terima kasih"},
}


def csrf_of(html: str) -> str | None:
    """The CSRF token of the first form on a page, or None."""
    found = CSRF.search(html)
    return (found.group(1) or found.group(2)) if found else None


class Browser:
    """A respondent's browser: follows the flow, carrying the CSRF token."""

    def __init__(self, client, base: str):
        self.client, self.base = client, base
        self.token = None

    def get(self, path: str = ""):
        response = self.client.get(self.base + path)
        token = csrf_of(response.get_data(as_text=True))
        if token:
            self.token = token
        return response

    def post(self, path: str, data: dict | None = None, *, csrf: bool = True):
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = self.token
        return self.client.post(self.base + path, data=data)

    def start(self):
        self.get()
        response = self.post("/mulai")
        assert response.status_code == 303
        return response

    def answer(self, number: int, answers: dict, action: str = "next"):
        self.get(f"/{number}")
        return self.post(f"/{number}", {**answers, "action": action})

    def answer_all(self, pages: dict | None = None):
        pages = pages or PAGE_ANSWERS
        self.start()
        for number, answers in pages.items():
            last = number == len(pages)
            response = self.answer(number, answers, "submit" if last else "next")
        return response


def sign_in(client, email: str, password: str = PASSWORD):
    """Sign a staff member in through the login form; returns the response."""
    token = csrf_of(client.get("/staff/login").get_data(as_text=True))
    return client.post("/staff/login", data={"email": email, "password": password,
                                             "csrf_token": token})


def run_survey(capsys, *args: str) -> tuple[int, str, str]:
    """Run the ``survey`` command in this process (as ``survey *args``) and
    return (exit code, stdout, stderr). Its settings come from the
    environment, as they would for the real command: set them with
    ``monkeypatch.setenv`` first."""
    from survey.cli import main

    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err
