"""The workshop's vocabularies: skill categories, kinds of bay, and the default shift.

Skill categories and bay kinds are stored as their Chinese names (机修, 举升…), the words the workshop and the
carmakers' flat-rate manuals use; a company may use others (an elevator maintainer's 曳引机), so the lists below
are what forms offer, not a closed set.
"""

import datetime

from django.utils.translation import gettext_lazy as _

#: Skill categories offered by default, with their English names for the English interface.
SKILLS: dict[str, str] = {
    "机修": _("Mechanical"),
    "电工": _("Electrical"),
    "钣金": _("Body work"),
    "喷漆": _("Paint"),
    "保养": _("Maintenance"),
    "安装": _("Installation"),
    "检测": _("Diagnostics"),
}

#: Kinds of bay (工位) offered by default.
BAY_KINDS: dict[str, str] = {
    "举升": _("Lift"),
    "快修": _("Quick service"),
    "钣金": _("Body work"),
    "喷漆": _("Paint booth"),
    "四轮定位": _("Wheel alignment"),
    "洗车": _("Wash"),
}

LEVELS = range(1, 6)
DEFAULT_DAY_START = datetime.time(8, 30)
DEFAULT_DAY_END = datetime.time(17, 30)
NAME_MAX = 20
