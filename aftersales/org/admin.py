from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from aftersales.org.models import Branch, Employee, Position, Team, User

admin.site.register(User, UserAdmin)


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "active")
    search_fields = ("code", "name")


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "reports_to")
    search_fields = ("code", "name")


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ("employee_no", "name", "branch", "position", "active")
    search_fields = ("employee_no", "name", "mobile")
    list_select_related = ("branch", "position")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "branch", "kind", "leader")
    list_select_related = ("branch", "leader")
