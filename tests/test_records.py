"""EpochRecord's written-out constructor behaves as the dataclass's generated one would."""

from __future__ import annotations

import dataclasses
import inspect
import math

import pytest

from nnstudio.engine.records import EpochRecord


def _generated():
    """The same fields in a frozen dataclass whose __init__ the dataclass machinery writes."""
    specs = [(f.name, f.type, dataclasses.field(default=f.default) if f.default is not dataclasses.MISSING
              else dataclasses.field()) for f in dataclasses.fields(EpochRecord)]
    return dataclasses.make_dataclass("Generated", specs, frozen=True)


def _args():
    return (7, 0.5, 0.6, 0.9, 0.8, 0.01, (1.0, 2.0), (), 3.5, True, 7, 0.6)


def test_signature_lists_every_field_in_order_with_its_default():
    params = list(inspect.signature(EpochRecord).parameters.values())
    fields = dataclasses.fields(EpochRecord)
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields):
        expected = inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default
        assert p.default is expected or (isinstance(expected, float) and math.isnan(expected) and math.isnan(p.default))


def test_positional_keyword_and_default_construction_match_the_generated_init():
    generated = _generated()
    names = [f.name for f in dataclasses.fields(EpochRecord)]
    full = _args() + (1.5, 1.2, 0.25, (16, 15), None, ("lr",))
    for args in (_args(), full):
        ours, ref = EpochRecord(*args), generated(*args)
        assert [getattr(ours, n) for n in names][:12] == [getattr(ref, n) for n in names][:12]
        assert repr(ours).split("(", 1)[1] == repr(ref).split("(", 1)[1]
    by_keyword = EpochRecord(**dict(zip(names, full)))
    assert by_keyword == EpochRecord(*full)
    assert hash(by_keyword) == hash(EpochRecord(*full))
    assert vars(by_keyword) == vars(generated(*full))


def test_record_stays_immutable_and_replaceable():
    record = EpochRecord(*_args())
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.epoch = 8
    changed = dataclasses.replace(record, val_loss=0.1)
    assert changed.val_loss == 0.1 and changed.epoch == 7 and record.val_loss == 0.6
    assert math.isnan(record.grad_norm) and record.distinct_units == () and record.health is None
    with pytest.raises(TypeError):
        EpochRecord(*_args()[:-1])
