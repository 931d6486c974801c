import factory

from aftersales.org.models import Branch, Position, Team


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    code = factory.Sequence(lambda n: f"B{n:03d}")
    name = factory.Sequence(lambda n: f"测试门店{n}")
    kind = "store"


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position

    code = factory.Sequence(lambda n: f"position_{n}")
    name = factory.Sequence(lambda n: f"岗位{n}")
    duties = "1、接待客户。\n2、开具工单。"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"机修{n}组")
    branch = factory.SubFactory(BranchFactory)
