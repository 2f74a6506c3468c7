"""Kazakh keeps "stage" and "period" apart (the hourglass article, seed 004, says кезең for a
stage; a period of time is мерзім), as Russian does (этап, период)."""

from voronka.i18n import MESSAGES


def test_kazakh_never_says_stage_for_a_period():
    for key, texts in MESSAGES.items():
        english, kazakh = texts["en"].lower(), texts["kk"].lower()
        if "period" in english and "stage" not in english:
            assert "кезең" not in kazakh, key
        if "stage" in english and "period" not in english:
            assert "мерзім" not in kazakh, key
