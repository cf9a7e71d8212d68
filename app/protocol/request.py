"""Models of the iallocator input document (doc/iallocator.rst; ALGORITHM.md section 1).

Pure data: these models check types and cross-references and nothing else. Unknown keys are
ignored everywhere, as hail ignores them. Dicts keep the input order, which hail's
tie-breaking depends on. `app.protocol.parse` turns validation errors into DocumentError.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import InitErrorDetails, PydanticCustomError, core_schema

DiskTemplate = Literal["diskless", "file", "sharedfile", "plain", "blockdev", "drbd", "rbd", "ext", "gluster"]
AllocPolicy = Literal["preferred", "last_resort", "unallocable"]
Hypervisor = Literal["kvm", "xen-pvm", "xen-hvm", "chroot", "lxc", "fake"]
EvacMode = Literal["primary-only", "secondary-only", "all"]
AdminState = Literal["up", "down", "offline"]
NicMode = Literal["bridged", "routed", "openvswitch"]

# Error type of the cross-reference checks; its message is the whole reason.
REFERENCE_ERROR = "unknown_reference"
# A failed cross-reference: location, reason, offending value.
_Problem = tuple[tuple[str | int, ...], str, str]
# Numbers JSON holds exactly (I-JSON, RFC 7493): far below int64's limits, so the engine's int64
# sums and float64 -> int64 casts of them cannot overflow.
INT_MIN, INT_MAX = -(2**53 - 1), 2**53 - 1


class _WholeNumber:
    """An integer (INT_MIN..INT_MAX) that also accepts an integral float (1024.0), never a string
    or a boolean.

    Built from pydantic-core schemas only, so no Python code runs per value."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        from_float = core_schema.chain_schema(
            [
                core_schema.float_schema(strict=True),
                core_schema.int_schema(strict=False, ge=INT_MIN, le=INT_MAX),
            ]
        )
        return core_schema.union_schema(
            [core_schema.int_schema(strict=True, ge=INT_MIN, le=INT_MAX), from_float],
            mode="left_to_right",
            custom_error_type="int_type",
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "integer"}


Int = Annotated[int, _WholeNumber]
Number = Annotated[float, Field(ge=INT_MIN, le=INT_MAX)]


class _Model(BaseModel):
    # strict: no "123" -> 123 or 1 -> true coercion; Int above re-allows integral floats.
    model_config = ConfigDict(
        extra="ignore", populate_by_name=True, strict=True, allow_inf_nan=False, defer_build=True
    )


class ISpec(_Model):
    """One instance specification of an instance policy (all required, as in hail)."""

    memory_size: Int = Field(alias="memory-size", description="MiB")
    cpu_count: Int = Field(alias="cpu-count")
    disk_size: Int = Field(alias="disk-size", description="MiB, per disk")
    disk_count: Int = Field(alias="disk-count")
    nic_count: Int = Field(1, alias="nic-count", description="never checked by hail")
    spindle_use: Int = Field(alias="spindle-use")


class MinMax(_Model):
    min: ISpec
    max: ISpec


class IPolicy(_Model):
    """A node group's instance policy."""

    minmax: list[MinMax]
    std: ISpec | None = Field(None, description="parsed, not used for decisions")
    disk_templates: list[DiskTemplate] = Field(alias="disk-templates")
    vcpu_ratio: Number = Field(alias="vcpu-ratio")
    spindle_ratio: Number = Field(alias="spindle-ratio")


def _every(size: int) -> ISpec:
    return ISpec.model_construct(
        memory_size=size, cpu_count=size, disk_size=size, disk_count=size, nic_count=size, spindle_use=size
    )


# Ganeti 2.x documents carry no group ipolicy: those clusters had no instance limits, so the
# default admits every instance size and template. The ratios are Ganeti's defaults
# (vcpu-ratio 4.0, spindle-ratio 32.0), so CPU and spindle capacity are still bounded.
PERMISSIVE_IPOLICY = IPolicy.model_construct(
    minmax=[MinMax.model_construct(min=_every(0), max=_every(2**31))],
    std=None,
    disk_templates=list(get_args(DiskTemplate)),
    vcpu_ratio=4.0,
    spindle_ratio=32.0,
)


class NodeGroup(_Model):
    name: str
    alloc_policy: AllocPolicy
    networks: list[str] = Field([], description="UUIDs of the networks the group is connected to")
    ipolicy: IPolicy = PERMISSIVE_IPOLICY  # pydantic copies the default for each group
    tags: list[str] = []


class NdParams(_Model):
    exclusive_storage: bool = False
    spindle_count: Int = 1


# Run-time data Ganeti sends only for live nodes (doc/iallocator.rst, footnote on nodes).
LIVE_NODE_FIELDS = (
    "total_memory",
    "reserved_memory",
    "free_memory",
    "total_disk",
    "free_disk",
    "total_cpus",
    "reserved_cpus",
)


class Node(_Model):
    """A node; memory and disk in MiB. Non-live nodes need no run-time data (it defaults to 0)."""

    offline: bool
    drained: bool
    group: str = Field(description="UUID of the node's group (a key of `nodegroups`)")
    vm_capable: bool = True
    ndparams: NdParams = NdParams()
    tags: list[str] = []
    total_memory: Number = 0
    reserved_memory: Int = Field(0, description="memory used by the node itself (dom0)")
    free_memory: Int = 0
    total_disk: Number = 0
    free_disk: Int = 0
    total_cpus: Number = 0
    reserved_cpus: Int = 0
    free_spindles: Int = 0
    total_spindles: Int = Field(0, description="used only with exclusive storage")

    @property
    def live(self) -> bool:
        """Not offline and able to host instances: only live nodes carry run-time data."""
        return not self.offline and self.vm_capable

    @model_validator(mode="after")
    def _require_live_data(self) -> Node:
        if self.live:
            missing = [f for f in LIVE_NODE_FIELDS if f not in self.model_fields_set]
            if missing:
                errors = [InitErrorDetails(type="missing", loc=(f,), input=None) for f in missing]
                raise ValidationError.from_exception_data("Node", errors)
        return self


class Disk(_Model):
    size: Int = Field(description="MiB")
    spindles: Int | None = None
    mode: str | None = None


class Nic(_Model):
    mac: str | None = None
    ip: str | None = None
    mode: NicMode | None = None
    link: str | None = None
    bridge: str | None = None
    network: str | None = Field(None, description="UUID of the network the NIC is attached to")


class InstanceBase(_Model):
    """The fields shared by existing instances and the instances a request asks to place."""

    disk_space_total: Int = Field(description="MiB charged on each node holding the disks")
    disks: list[Disk] = []
    memory: Int = Field(description="MiB")
    vcpus: Int
    tags: list[str] = []
    disk_template: DiskTemplate
    spindle_use: Int = Field(1, description="Ganeti's default; old Ganeti versions omit it")
    nics: list[Nic] = []


def _admin_state(value: object) -> object:
    # hail reads a missing or unknown admin_state as "up" (IAlloc.hs: parseBaseInstance).
    return value if value in ("up", "down", "offline") else "up"


class Instance(InstanceBase):
    """An existing instance: `nodes` is [primary] or [primary, secondary]."""

    nodes: list[str] = Field(min_length=1)
    admin_state: Annotated[AdminState, BeforeValidator(_admin_state)] = "up"
    forthcoming: bool = False


class AllocateRequest(InstanceBase):
    type: Literal["allocate"]
    name: str
    required_nodes: Int
    group_name: str | None = None
    restrict_to_nodes: list[str] | None = Field(None, alias="restrict-to-nodes")


class RelocateRequest(_Model):
    type: Literal["relocate"]
    name: str
    required_nodes: Int = 1
    relocate_from: list[str]


class ChangeGroupRequest(_Model):
    type: Literal["change-group"]
    instances: list[str]
    target_groups: list[str] = Field([], description="group names or UUIDs; empty means any other group")


class NodeEvacuateRequest(_Model):
    type: Literal["node-evacuate"]
    instances: list[str]
    evac_mode: EvacMode


class MultiAllocateEntry(InstanceBase):
    name: str
    required_nodes: Int
    group_name: str | None = None
    restrict_to_nodes: list[str] | None = Field(None, alias="restrict-to-nodes")


class MultiAllocateRequest(_Model):
    type: Literal["multi-allocate"]
    instances: list[MultiAllocateEntry]
    group_name: str | None = None


class AllocateSecondaryRequest(_Model):
    type: Literal["allocate-secondary"]
    name: str


class MultiEvacuateRequest(_Model):
    """Legacy (Ganeti <= 2.4): move the secondaries off the given nodes."""

    type: Literal["multi-evacuate"]
    evac_nodes: list[str]


Request = Annotated[
    AllocateRequest
    | RelocateRequest
    | ChangeGroupRequest
    | NodeEvacuateRequest
    | MultiAllocateRequest
    | AllocateSecondaryRequest
    | MultiEvacuateRequest,
    Field(discriminator="type"),
]

REQUEST_TYPES = (
    "allocate",
    "relocate",
    "change-group",
    "node-evacuate",
    "multi-allocate",
    "allocate-secondary",
    "multi-evacuate",
)


class Envelope(_Model):
    """Everything of the input but the bulk (nodes and instances)."""

    # First, so that its errors come first: hail reads the request before anything else.
    request: Request
    version: Int | None = None
    cluster_name: str = ""
    cluster_tags: list[str] = []
    enabled_hypervisors: list[Hypervisor] = Field(description="only the first one is used")
    ipolicy: dict[str, Any] | None = Field(None, description="ignored; group policies apply")
    nodegroups: dict[str, NodeGroup] = Field(description="keyed by group UUID")


class InputDocument(Envelope):
    """The whole iallocator input. `nodegroups`, `nodes` and `instances` keep the input order."""

    nodes: dict[str, Node]
    instances: dict[str, Instance] = {}

    @model_validator(mode="after")
    def _check_references(self) -> InputDocument:
        errors = [*self._node_references(), *request_references(self.request, self.instances, self.nodes)]
        if errors:
            raise ValidationError.from_exception_data(
                "InputDocument",
                [
                    InitErrorDetails(type=PydanticCustomError(REFERENCE_ERROR, reason), loc=loc, input=value)
                    for loc, reason, value in errors
                ],
            )
        return self

    def _node_references(self) -> list[_Problem]:
        errors: list[_Problem] = []
        for name, node in self.nodes.items():
            if node.group not in self.nodegroups:
                errors.append((("nodes", name, "group"), f'unknown node group "{node.group}"', node.group))
        for name, inst in self.instances.items():
            # Only the primary and the secondary are looked up; hail ignores further entries.
            for i, node_name in enumerate(inst.nodes[:2]):
                if node_name not in self.nodes:
                    errors.append((("instances", name, "nodes", i), f'unknown node "{node_name}"', node_name))
        return errors


def request_references(
    req: Request, instances: Mapping[str, Any], nodes: Mapping[str, Any]
) -> list[_Problem]:
    """Instances and nodes the request names that the document does not have."""
    found: list[_Problem]  # (location, name, "instance" or "node")
    if isinstance(req, RelocateRequest | AllocateSecondaryRequest):
        found = [(("request", "name"), req.name, "instance")]
    elif isinstance(req, ChangeGroupRequest | NodeEvacuateRequest):
        found = [(("request", "instances", i), n, "instance") for i, n in enumerate(req.instances)]
    elif isinstance(req, MultiEvacuateRequest):
        found = [(("request", "evac_nodes", i), n, "node") for i, n in enumerate(req.evac_nodes)]
    else:
        found = []
    if isinstance(req, RelocateRequest):
        found += [(("request", "relocate_from", i), n, "node") for i, n in enumerate(req.relocate_from)]
    errors: list[_Problem] = []
    for loc, name, what in found:
        if name not in (instances if what == "instance" else nodes):
            errors.append((loc, f'unknown {what} "{name}"', name))
    return errors
