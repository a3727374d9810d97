"""Contracts: the marshmallow schemas an RPC accepts, defined once and read by the service and the gateway.

Each service keeps its schemas in ``<service>/contracts.py`` (inputs and outputs,
importing only marshmallow and ``common``). An RPC names its input schema::

    @rpc
    @accepts(contracts.BookSession)
    def book_session(self, coach_id, start, note=None):
        ...

The method's keyword arguments that are fields of the schema arrive loaded
(typed, defaults applied); unknown names are a 400; the other parameters (path
ids) pass as given. With ``changes="changes"``, the fields given (and only
those) arrive as one dict, for partial updates where "absent" and "null" differ.

The gateway validates a route's body and query with the same schema before the
RPC (a 400 without a hop) and forwards the client's JSON as it came, because
loaded values (dates, times) do not cross RPC as JSON; the service loads it.
"""

import functools
import inspect

from marshmallow import RAISE, Schema
from marshmallow.utils import missing as missing_value

from common.exceptions import ValidationError
from common.validation import load


class Contract(Schema):
    """Base of every contract schema: unknown fields are refused."""

    class Meta:
        unknown = RAISE


def accepts(schema_class, changes=None):
    schema = schema_class()

    def decorate(method):
        parameters = [name for name in inspect.signature(method).parameters if name != "self"]
        plain = [name for name in parameters if name not in schema.fields and name != changes]
        if changes is None:
            missing = set(schema.fields) - set(parameters)
            assert not missing, f"{method.__name__} does not take the fields {sorted(missing)} of its contract"
            defaults = inspect.signature(method).parameters
            for name, field in schema.fields.items():
                optional = not field.required and field.load_default is missing_value
                assert not optional or defaults[name].default is not inspect.Parameter.empty, (
                    f"{method.__name__}: the optional field {name} needs a default"
                )

        @functools.wraps(method)
        def loaded(self, *args, **kwargs):
            if len(args) > len(parameters):
                raise ValidationError(f"{method.__name__} takes at most {len(parameters)} arguments")
            for name, value in zip(parameters, args, strict=False):
                if name in kwargs:
                    raise ValidationError(f"{method.__name__} got {name} twice")
                kwargs[name] = value
            given = {name: kwargs.pop(name) for name in plain if name in kwargs}
            fields = load(schema, kwargs)
            if changes is not None:
                return method(self, **given, **{changes: fields})
            return method(self, **given, **fields)

        loaded.contract = schema_class
        loaded.contract_changes = changes
        return loaded

    return decorate


def accepted_names(method):
    """Every keyword an RPC method takes: its contract's fields and its own named parameters."""
    names = {name for name in inspect.signature(method).parameters if name != "self"}
    contract = getattr(method, "contract", None)
    if contract is not None:
        names |= set(contract().fields)
        names.discard(getattr(method, "contract_changes", None))
    return names
