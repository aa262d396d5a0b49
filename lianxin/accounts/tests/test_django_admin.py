import pytest


@pytest.mark.parametrize("role", ["city_admin", "district_admin", "site_manager", "deputy", "unit_staff", "auditor"])
def test_roles_cannot_use_django_admin_even_with_is_staff(world, client_for, role):
    user = world.users[role]
    user.is_staff = True
    user.save()
    response = client_for(user).get("/django-admin/")
    assert response.status_code == 302
    assert "/django-admin/login/" in response["Location"]


def test_superuser_uses_django_admin(world, client_for):
    assert client_for(world.superuser).get("/django-admin/").status_code == 200
