"""What one instance of a variant is: the targets declare it, the results header records it, the
summary and the report compare startup only within one kind (or name the kind beside the
figure). A process is started by the kernel, a container by the Docker Engine, an in-host
instance inside a runtime process that is already running (a warm host), whose memory figure
is then what one instance adds to that process: marginal, not whole."""

from __future__ import annotations

PROCESS = "process"
CONTAINER = "container"
IN_HOST = "in-host"
INSTANCE_SCOPES = {
    PROCESS: "a process per instance, started by the kernel",
    CONTAINER: "a container per instance, started by the Docker Engine",
    IN_HOST: "an instance inside an already running host process (a warm host)",
}
