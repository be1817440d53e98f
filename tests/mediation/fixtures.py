"""Mediation fixtures: an open case in the own worker's grid G1, and a closed one with an
agreement and a photo of its signed copy."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def jpeg(name: str = "signed.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def mediation_case(territory, own_worker, household):
    from mediation import services

    case = services.open_case(
        by=own_worker,
        grid=territory.grid,
        type="neighbours",
        risk="low",
        summary="楼上噪音扰民",
        household=household,
    )
    services.add_party(
        by=own_worker, case=case, role="applicant", name="王建国", phone="13812345678"
    )
    return case


@pytest.fixture
def closed_mediation_case(mediation_case, own_worker):
    from mediation import services

    return services.close_case(
        by=own_worker,
        case=mediation_case,
        outcome="agreement",
        agreement_text="双方和解",
        signed_copy=jpeg(),
    )
