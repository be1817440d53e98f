"""Photos of a 实事 project: with progress (optional) and of the completed work (required),
cleaned like every photo, shown on the staff and the public page, and served publicly only
while the project is public."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from deliberation import services
from deliberation.models import ProjectPhoto, Topic
from tests.factories import jpeg

S = Topic.Status


@pytest.fixture
def project(decided_topic):
    return services.start_project(
        topic=decided_topic,
        by=None,
        title="小区停车位划线改造",
        budget=Decimal("18000"),
        funding="community",
        started_on=timezone.localdate() - dt.timedelta(days=5),
    )


def test_a_completion_without_a_photo_is_refused_and_changes_nothing(project, community_officer):
    with pytest.raises(ValidationError) as refused:
        services.complete_project(project=project, by=community_officer, photos=[])
    assert "photo" in refused.value.message_dict["photos"][0]
    project.refresh_from_db()
    project.topic.refresh_from_db()
    assert project.completed_on is None and project.progress == 0
    assert project.topic.status == S.FOLLOW_UP
    assert not ProjectPhoto.objects.exists()


def test_progress_photos_are_optional_and_cleaned(project, community_officer):
    today = timezone.localdate()
    services.update_progress(project=project, by=community_officer, on=today, percent=20, note="a")
    update = services.update_progress(
        project=project,
        by=community_officer,
        on=today,
        percent=50,
        note="b",
        photos=[jpeg("a.png"), jpeg("b.jpg")],
    )
    photos = list(update.photos.all())
    assert [p.kind for p in photos] == [ProjectPhoto.Kind.PROGRESS] * 2
    assert all(p.image.name.endswith(".jpg") and p.project == project for p in photos)


def test_a_file_that_is_no_photo_refuses_the_update(project, community_officer):
    junk = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    with pytest.raises(ValidationError):
        services.update_progress(
            project=project,
            by=community_officer,
            on=timezone.localdate(),
            percent=30,
            note="x",
            photos=[jpeg(), junk],
        )
    assert not project.updates.exists() and not ProjectPhoto.objects.exists()


def test_the_officer_completes_on_the_page_with_a_photo(client, project, community_officer):
    client.force_login(community_officer)
    url = reverse("deliberation_topic", args=[project.topic_id])
    today = timezone.localdate().isoformat()
    refused = client.post(url, {"action": "complete", "on": today})
    assert refused.status_code == 200
    assert "at least one photo" in refused.content.decode()
    project.refresh_from_db()
    assert not project.completed
    done = client.post(url, {"action": "complete", "on": today, "photos": [jpeg(), jpeg("2.jpg")]})
    assert done.status_code == 302
    project.refresh_from_db()
    assert project.completed and project.photos.count() == 2
    page = client.get(url).content.decode()
    photo = project.photos.first()
    assert reverse("deliberation_project_photo", args=["C1", photo.pk]) in page


def test_photos_appear_on_the_public_page(client, completed_project):
    photo = completed_project.photos.get()
    url = reverse("deliberation_project_photo", args=["C1", photo.pk])
    page = client.get(reverse("deliberation_project", args=["C1", completed_project.pk]))
    assert url in page.content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_a_photo_of_a_project_that_is_not_public_is_404(client, community_officer, project_photo):
    assert (
        client.get(reverse("deliberation_project_photo", args=["C2", project_photo.pk])).status_code
        == 404
    )
    Topic.objects.filter(pk=project_photo.project.topic_id).update(status=S.DECLINED)
    url = reverse("deliberation_project_photo", args=["C1", project_photo.pk])
    assert client.get(url).status_code == 404
    client.force_login(community_officer)
    assert client.get(url).status_code == 404
