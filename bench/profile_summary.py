"""Summarise a py-spy ``--format raw`` profile (collapsed stacks): where a process's samples went.

``python -m bench.profile_summary profile.txt [--top 25] [--group]`` prints the share of samples of
each function on the stack (inclusive) and at its top (self), and with ``--group`` the samples sorted
into the stages of a request (docs/performance.md): the buckets are matched against each stack from
the request's end backwards, so a sample counts once, in the deepest stage it is in.
"""

import argparse
import collections
import re

# (stage, pattern of a frame): the first stage (in this order) whose pattern is in the stack takes the sample.
STAGES = (
    ("idle: waiting in the eventlet hub", r"^(wait|select|poll|epoll_wait|_trampoline|switch) \((eventlet|greenlet)"),
    ("JSON encode/decode", r"\(json/"),
    ("token check (JWT RS256 verify)", r"\((jwt|cryptography)/"),
    ("gateway read cache", r"\(gateway/(cache|cache_policy|keyvalue)\.py"),
    ("Redis client", r"\(redis/"),
    ("validation (marshmallow)", r"\(marshmallow/"),
    ("store: SQL (SQLAlchemy, psycopg2)", r"\((sqlalchemy|psycopg2|nameko_sqlalchemy)/"),
    ("store: MongoDB (mongomock)", r"\((mongomock|pymongo|bson)/"),
    ("AMQP publish/consume (kombu, amqp)", r"\((kombu|amqp)/"),
    ("logging, metrics, tracing", r"\((logging/|common/(logs|metrics|tracing)\.py|opentelemetry|prometheus_client)"),
    ("HTTP parse and answer (werkzeug, eventlet.wsgi)", r"\((werkzeug|eventlet/wsgi)"),
    ("Nameko worker and container", r"\(nameko/"),
)


def read(path):
    stacks = collections.Counter()
    with open(path) as lines:
        for line in lines:
            frames, _, count = line.rstrip("\n").rpartition(" ")
            if frames:
                stacks[tuple(frames.split(";"))] += int(count)
    return stacks


def stage_of(stack):
    for frame in reversed(stack):
        for name, pattern in STAGES:
            if re.search(pattern, frame):
                return name
    return "other (our code, interpreter)"


def summary(stacks, top):
    total = sum(stacks.values()) or 1
    inclusive, own = collections.Counter(), collections.Counter()
    for stack, count in stacks.items():
        for frame in set(stack):
            inclusive[frame] += count
        own[stack[-1]] += count
    lines = [f"{total} samples"]
    lines.append("inclusive:")
    lines += [f"  {100 * n / total:5.1f} %  {frame}" for frame, n in inclusive.most_common(top)]
    lines.append("self:")
    lines += [f"  {100 * n / total:5.1f} %  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(lines)


def stages(stacks):
    total = sum(stacks.values()) or 1
    buckets = collections.Counter()
    for stack, count in stacks.items():
        buckets[stage_of(stack)] += count
    return {name: round(100 * n / total, 1) for name, n in buckets.most_common()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--group", action="store_true", help="samples per stage of a request")
    args = parser.parse_args(argv)
    stacks = read(args.profile)
    if args.group:
        for name, share in stages(stacks).items():
            print(f"{share:5.1f} %  {name}")
    else:
        print(summary(stacks, args.top))


if __name__ == "__main__":
    main()
