"""The seed's pay policy for the installation supervisor (安装主管), as the policy document writes it.

    月收入 = 基本工资 + (职务工资 + 行政奖) × 月考核分 / 88 + 补助 + 提成奖 + 业绩奖 × 70%

with 30 元 per after-sales inspection when the month has at least 20 (else 20 元 each), plus the rewards of the
employee's service audits and minus their share of the team's fines.
"""

from decimal import Decimal

#: The 月收入 line's formula, as the issue and the benchmark write it.
MONTHLY_INCOME = "基本工资 + (职务工资 + 行政奖) × 月考核分 / 88 + 补助 + 提成奖 + 业绩奖 × 70%"

SUPERVISOR_SHEET = f"""\
月收入 = {MONTHLY_INCOME}
基本工资 = 600
职务工资 = 900
补助 = 0
行政奖 = 1000
提成奖 = 售后检查单数 × IF(售后检查单数 >= 20, 30, 20) + 督查奖励 - 违规扣罚
"""

SUPERVISOR_INPUTS = frozenset({"月考核分", "业绩奖", "售后检查单数", "督查奖励", "违规扣罚"})


def supervisor_inputs(
    *, score="88", inspections=25, rewards="0", fines="0", performance_bonus="1000"
) -> dict[str, Decimal]:
    """The sheet's inputs; by default the issue's example month (88 points, 25 inspections, no violations)."""
    return {
        "月考核分": Decimal(score),
        "售后检查单数": Decimal(inspections),
        "督查奖励": Decimal(rewards),
        "违规扣罚": Decimal(fines),
        "业绩奖": Decimal(performance_bonus),
    }
