"""WTForms for the admin: typed fields with Thai-first messages.

Dates are typed and shown as ``dd/mm/BBBB`` in the Buddhist Era (พ.ศ.), as on
BMA forms, not with the browser's date picker (its year depends on the
browser's locale); ``pb.thaidate`` parses and formats them. Money is a whole
number of baht; "1,250,000" and "1250000 บาท" are both accepted.
"""

from __future__ import annotations

import datetime as dt
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from pb.thaidate import be_date, be_datetime, parse_be_date, parse_be_datetime


class ParsedTextField(StringField):
    """A text field whose text is parsed into a value and shown back formatted.

    Subclasses set ``parse`` (text → value, ValueError when malformed),
    ``show`` (value → text) and ``message`` (the error staff read); empty is None.
    """

    kind: type = object
    message = ""

    @staticmethod
    def parse(text: str):
        raise NotImplementedError

    @staticmethod
    def show(value) -> str:
        raise NotImplementedError

    def _value(self) -> str:
        if isinstance(self.data, self.kind):
            return self.show(self.data)
        return self.raw_data[0] if self.raw_data else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        try:
            self.data = self.parse(text)
        except ValueError:
            self.data = None
            raise ValueError(self.message) from None


class BEDateField(ParsedTextField):
    """A date typed as dd/mm/BBBB (พ.ศ.); empty is None."""

    kind = dt.date
    message = _l("Write the date as dd/mm/yyyy in the Buddhist Era, e.g. 01/10/2568.")
    parse = staticmethod(parse_be_date)
    show = staticmethod(be_date)


class BEDateTimeField(ParsedTextField):
    """A moment typed as ``dd/mm/BBBB HH:MM`` in Bangkok time (พ.ศ.); empty is None."""

    kind = dt.datetime
    message = _l("Write the time as dd/mm/yyyy HH:MM, Buddhist Era, Bangkok time, "
                 "e.g. 01/03/2569 08:00.")
    parse = staticmethod(parse_be_datetime)
    show = staticmethod(be_datetime)


class BahtField(StringField):
    """A whole number of baht; commas, spaces and "บาท"/"baht" are ignored."""

    def _value(self) -> str:
        if isinstance(self.data, int):
            return f"{self.data:,}"
        return self.raw_data[0] if self.raw_data else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        cleaned = re.sub(r"[,\s]|บาท|baht", "", text, flags=re.IGNORECASE)
        if not cleaned:
            self.data = None
            return
        if not cleaned.isdigit() or len(cleaned) > 12:
            self.data = None
            raise ValueError(_l("Write a whole number of baht, e.g. 1,250,000."))
        self.data = int(cleaned)


_REQUIRED = _l("Required.")


class ProjectForm(FlaskForm):
    """A project's fields (BMA project form); the version is checked on edits."""

    title = StringField(validators=[DataRequired(_REQUIRED), Length(max=200)])
    description = TextAreaField(validators=[Optional(), Length(max=5000)])
    district = SelectField(validators=[DataRequired(_REQUIRED)])
    location = StringField(validators=[Optional(), Length(max=300)])
    estimated_cost_baht = BahtField()
    starts_on = BEDateField()
    ends_on = BEDateField()
    kpi_indicator = StringField(validators=[Optional(), Length(max=300)])
    kpi_target = StringField(validators=[Optional(), Length(max=300)])
    responsible_unit = StringField(validators=[Optional(), Length(max=200)])
    fiscal_year = IntegerField(validators=[DataRequired(_REQUIRED),
                                           NumberRange(2501, 2699, _l("A Buddhist Era year, "
                                                                      "e.g. 2568."))])
