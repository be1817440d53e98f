import datetime as dt
import zoneinfo

import pytest
from django.utils import translation

from core.durations import in_words

NOW = dt.datetime(2026, 11, 23, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    "delta, words",
    [
        (dt.timedelta(seconds=40), "in a moment"),
        (dt.timedelta(minutes=4), "in 5 minutes"),
        (dt.timedelta(minutes=8), "in 10 minutes"),
        (dt.timedelta(minutes=17), "in 20 minutes"),
        (dt.timedelta(minutes=57), "in about 1 hour"),
        (dt.timedelta(hours=1, minutes=59), "in about 2 hours"),  # naturaltime: "1 hour"
        (dt.timedelta(hours=23, minutes=40), "in 1 day"),
        (dt.timedelta(days=6, hours=23), "in 7 days"),  # timeuntil: "6 days, 23 hours"
        (dt.timedelta(days=2, hours=11), "in 2 days"),
        (-dt.timedelta(minutes=30), "30 minutes ago"),
        (-dt.timedelta(hours=5, minutes=20), "about 5 hours ago"),
        (-dt.timedelta(days=3, hours=1), "3 days ago"),
    ],
)
def test_a_duration_is_one_rounded_figure_as_people_say_it(delta, words):
    with translation.override("en"):
        assert in_words(NOW + delta, now=NOW) == words


def test_the_words_go_through_the_catalogue_in_chinese():
    # The lead translates after merging; until then the figure is right in either language.
    with translation.override("zh-hans"):
        said = in_words(NOW + dt.timedelta(hours=1, minutes=59), now=NOW)
        assert "2" in said and "1" not in said
        said = in_words(NOW + dt.timedelta(days=6, hours=23), now=NOW)
        assert "7" in said and "6" not in said and "23" not in said
