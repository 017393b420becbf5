"""Forms of the staff pages that run a campaign (Flask-WTF: CSRF token
included in each)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

#: Largest spreadsheet accepted (a list of 20,000 people is about 1.5 MB as CSV).
MAX_UPLOAD = 2 * 1024 * 1024


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def _upload(label):
    return FileField(label, validators=[
        FileRequired(_l("Choose a file.")),
        FileSize(MAX_UPLOAD, message=_l("The file is larger than 2 MB; split it."))])


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class InstitutionForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class UnitImportForm(FlaskForm):
    institution = SelectField(_l("Institution"), coerce=int, validate_choice=True)
    file = _upload(_l("Spreadsheet (CSV or XLSX)"))


class UnitForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    parent = SelectField(_l("Parent office"), coerce=int, validate_choice=True)
    active = BooleanField(_l("Surveyed (active)"))


class CampaignForm(FlaskForm):
    institution = SelectField(_l("Institution"), coerce=int, validate_choice=True)
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    period = StringField(_l("Period"), validators=[DataRequired(), Length(max=40)])
    opens_on = DateField(_l("Opens on"), validators=[InputRequired()])
    closes_on = DateField(_l("Closes on"), validators=[InputRequired()])
    target = DecimalField(_l("Target index (0–100)"), places=1, default=72,
                          validators=[InputRequired(), NumberRange(0, 100)])
    version = SelectField(_l("Instrument version"), coerce=int, validate_choice=True)


class ListImportForm(FlaskForm):
    file = _upload(_l("Spreadsheet (CSV or XLSX)"))
    only_valid = BooleanField(_l("Import only the valid rows (the others are listed and left out)"))
    invite = BooleanField(_l("Create an invitation for each person now (leave unticked to "
                             "draw a sample first)"), default=True)


class PlanForm(FlaskForm):
    margin = DecimalField(_l("Margin of error wanted (index points)"), places=1,
                          validators=[InputRequired(), NumberRange(0.5, 50)])
    sd = DecimalField(_l("Expected standard deviation of respondent scores (points)"),
                      places=1, validators=[InputRequired(), NumberRange(1, 50)])
    response_rate = IntegerField(_l("Expected response rate (%)"),
                                 validators=[InputRequired(), NumberRange(1, 100)])


class DrawForm(FlaskForm):
    seed = IntegerField(_l("Seed (empty: a new random one)"),
                        validators=[Optional(), NumberRange(0, 2**31 - 1)])


class MessagesForm(FlaskForm):
    language = SelectField(_l("Messages go out in"),
                           choices=choices([("id", "Bahasa Indonesia"), ("en", "English")]))
    id_invitation = TextAreaField(_l("Invitation (Bahasa Indonesia)"),
                                  validators=[Length(max=1000)])
    id_reminder = TextAreaField(_l("Reminder (Bahasa Indonesia)"), validators=[Length(max=1000)])
    id_subject = StringField(_l("Email subject (Bahasa Indonesia)"), validators=[Length(max=200)])
    en_invitation = TextAreaField(_l("Invitation (English)"), validators=[Length(max=1000)])
    en_reminder = TextAreaField(_l("Reminder (English)"), validators=[Length(max=1000)])
    en_subject = StringField(_l("Email subject (English)"), validators=[Length(max=200)])


class SendForm(FlaskForm):
    channel = HiddenField(validators=[DataRequired()])
    kind = HiddenField(validators=[DataRequired()])


class ExportForm(FlaskForm):
    unit = SelectField(_l("Office"), coerce=int, validate_choice=True)


class CheckForm(FlaskForm):
    text = TextAreaField(_l("The message or the link"),
                         validators=[DataRequired(_l("Paste the message or the link.")),
                                     Length(max=5000)])
