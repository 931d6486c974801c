"""What every page of the shell needs: the navigation the user's roles allow."""

from aftersales.core.navigation import navigation_for


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_sections": navigation_for(user, request.path)}
