"""The iallocator protocol: input document models, parsing, parameters and the response.

Other layers import from here; `request`, `parse`, `params` and `response` hold the code.
"""

from app.protocol.document import ClusterDocument
from app.protocol.errors import DocumentError, InputError, ParameterError
from app.protocol.params import parse_params
from app.protocol.parse import parse_document
from app.protocol.request import (
    AllocateRequest,
    AllocateSecondaryRequest,
    ChangeGroupRequest,
    Disk,
    Envelope,
    InputDocument,
    Instance,
    InstanceBase,
    IPolicy,
    ISpec,
    MinMax,
    MultiAllocateEntry,
    MultiAllocateRequest,
    MultiEvacuateRequest,
    NdParams,
    Nic,
    Node,
    NodeEvacuateRequest,
    NodeGroup,
    RelocateRequest,
    Request,
)
from app.protocol.response import IallocatorResponse, dump_response, validate_result

__all__ = [
    "AllocateRequest",
    "AllocateSecondaryRequest",
    "ChangeGroupRequest",
    "ClusterDocument",
    "Disk",
    "DocumentError",
    "Envelope",
    "IPolicy",
    "ISpec",
    "IallocatorResponse",
    "InputDocument",
    "InputError",
    "Instance",
    "InstanceBase",
    "MinMax",
    "MultiAllocateEntry",
    "MultiAllocateRequest",
    "MultiEvacuateRequest",
    "NdParams",
    "Nic",
    "Node",
    "NodeEvacuateRequest",
    "NodeGroup",
    "ParameterError",
    "RelocateRequest",
    "Request",
    "dump_response",
    "parse_document",
    "parse_params",
    "validate_result",
]
