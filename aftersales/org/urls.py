from django.urls import path

from aftersales.org import views

app_name = "org"
urlpatterns = [
    path("branches/", views.branch_list, name="branch_list"),
    path("branches/new/", views.branch_create, name="branch_create"),
    path("branches/<int:pk>/", views.branch_detail, name="branch_detail"),
    path("branches/<int:pk>/edit/", views.branch_edit, name="branch_edit"),
    path("positions/", views.position_list, name="position_list"),
    path("positions/new/", views.position_create, name="position_create"),
    path("positions/<int:pk>/", views.position_detail, name="position_detail"),
    path("positions/<int:pk>/edit/", views.position_edit, name="position_edit"),
    path("employees/", views.employee_list, name="employee_list"),
    path("employees/new/", views.employee_create, name="employee_create"),
    path("employees/<int:pk>/", views.employee_detail, name="employee_detail"),
    path("employees/<int:pk>/edit/", views.employee_edit, name="employee_edit"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("teams/<int:pk>/edit/", views.team_edit, name="team_edit"),
    path("roles/", views.role_list, name="role_list"),
]
