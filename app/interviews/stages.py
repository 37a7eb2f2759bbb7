"""The interview stage machine: where each kind of interview may start and go next."""

from collections import deque

from app.models.pipeline import InterviewKind, InterviewStage

S = InterviewStage

# Where each stage may go next, per kind; stages missing from a kind's map are not its own.
TRANSITIONS: dict[InterviewKind, dict[InterviewStage, tuple[InterviewStage, ...]]] = {
    InterviewKind.informational: {
        S.requested: (S.scheduled, S.cancelled, S.no_show),
        S.scheduled: (S.held, S.cancelled, S.no_show),
        S.held: (S.followed_up,),
        S.followed_up: (),
        S.cancelled: (),
        S.no_show: (),
    },
    InterviewKind.job: {
        S.scheduled: (S.held,),
        S.held: (S.offer, S.rejected, S.withdrawn),
        S.offer: (),
        S.rejected: (),
        S.withdrawn: (),
    },
}
INITIAL_STAGES: dict[InterviewKind, tuple[InterviewStage, ...]] = {
    InterviewKind.informational: (S.requested, S.scheduled),
    InterviewKind.job: (S.scheduled,),
}
# The length an informational interview asks for (15 to 20 minutes): its default.
INFORMATIONAL_MINUTES = 20


def _shortest_paths(kind: InterviewKind) -> dict[InterviewStage, tuple[InterviewStage, ...]]:
    """Each stage the kind can reach, with the shortest way there from one of its first
    stages (breadth first; on a tie the earlier first stage wins)."""
    paths: dict[InterviewStage, tuple[InterviewStage, ...]] = {
        stage: (stage,) for stage in INITIAL_STAGES[kind]
    }
    queue = deque(INITIAL_STAGES[kind])
    while queue:
        stage = queue.popleft()
        for following in TRANSITIONS[kind][stage]:
            if following not in paths:
                paths[following] = (*paths[stage], following)
                queue.append(following)
    return paths


# Where a new interview may start, and the steps that take it there.
CREATION_PATHS = {kind: _shortest_paths(kind) for kind in InterviewKind}
