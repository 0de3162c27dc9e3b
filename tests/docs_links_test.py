#!/usr/bin/env python3
"""Checks that the repository's documentation stands on its own in a clone.

Usage: docs_links_test.py SOURCE_DIR

For every Markdown file under SOURCE_DIR (build trees, .git and node_modules
skipped), every relative link -- [text](path), [text](path#anchor),
[label]: path -- must name a file or directory that exists, and an anchor
into a Markdown file must match one of its headings (GitHub's slugs).
Links inside code spans and fenced code blocks are not links.

Also fails on any reference to the team's private design notes, which a clone
does not have: a path into the "shared" folder next to the repository in any
text file, and a mention of DOMAIN.md or ARCHITECTURE.md in any text file
(cite docs/domain.md and docs/architecture.md instead). A citation
"docs/domain.md §N" (in code, comments or docs) must name a section that
docs/domain.md has ("## N." or "### N.M").

Prints one line per problem, "FILE:LINE: what", and exits 1 if there is any.
"""

import os
import re
import sys

SKIP_DIRS = {".git", "node_modules", "__pycache__"}
TEXT_EXTENSIONS = {
    ".md", ".cc", ".h", ".proto", ".txt", ".cmake", ".py", ".sh", ".yaml",
    ".yml", ".json", ".tpl", ".sql", ".mjs", ".supp",
}
# Built from parts so that this file does not match itself.
SHARED_PATH = re.compile(re.escape("../" + "shared") + r"(/|\b)")
PRIVATE_NOTES = re.compile(r"\b(DOMAIN|ARCHITECTURE)\.md\b")
SECTION_CITE = re.compile(r"docs/domain\.md §(\d+(?:\.\d+)?)")
SECTION_HEADING = re.compile(r"^#{2,3}\s+(\d+(?:\.\d+)?)\.?\s")

INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")
FENCE = re.compile(r"^\s{0,3}(```|~~~)")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")


def skipped_dir(name):
    return name in SKIP_DIRS or name == "build" or name.startswith("build-")


def walk(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not skipped_dir(d))
        for name in sorted(filenames):
            yield os.path.join(dirpath, name)


def markdown_lines(text):
    """Yields (line number, line) outside fenced code, code spans blanked."""
    in_fence = None
    for number, line in enumerate(text.splitlines(), 1):
        fence = FENCE.match(line)
        if in_fence:
            if fence and fence.group(1) == in_fence:
                in_fence = None
            continue
        if fence:
            in_fence = fence.group(1)
            continue
        yield number, CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)


def slug(heading):
    """GitHub's anchor for a heading."""
    text = re.sub(r"`|\*\*|__", "", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links: keep text
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


_anchor_cache = {}


def anchors(path):
    if path not in _anchor_cache:
        seen = {}
        found = set()
        with open(path, encoding="utf-8") as f:
            for _, line in markdown_lines(f.read()):
                m = HEADING.match(line)
                if not m:
                    continue
                base = slug(m.group(1))
                count = seen.get(base, 0)
                seen[base] = count + 1
                found.add(base if count == 0 else "%s-%d" % (base, count))
        _anchor_cache[path] = found
    return _anchor_cache[path]


def check_link(root, md_path, target):
    """Returns a problem description, or None when the link resolves."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):  # http:, mailto:, ...
        return None
    path_part, _, anchor = target.partition("#")
    if path_part == "":
        dest = md_path
    elif path_part.startswith("/"):
        dest = os.path.join(root, path_part.lstrip("/"))
    else:
        dest = os.path.join(os.path.dirname(md_path), path_part)
    dest = os.path.normpath(dest)
    if not os.path.exists(dest):
        return "broken link %s: %s does not exist" % (
            target, os.path.relpath(dest, root))
    if os.path.relpath(dest, root).startswith(".."):
        return "link %s leaves the repository" % target
    if anchor and dest.endswith(".md") and anchor not in anchors(dest):
        return "broken link %s: no heading with anchor #%s in %s" % (
            target, anchor, os.path.relpath(dest, root))
    return None


def check(root):
    problems = []
    markdown_files = 0
    links = 0
    sections = set()
    try:
        with open(os.path.join(root, "docs", "domain.md"), encoding="utf-8") as f:
            for line in f:
                m = SECTION_HEADING.match(line)
                if m:
                    sections.add(m.group(1))
    except OSError:
        problems.append("docs/domain.md: missing")
    this_file = os.path.realpath(__file__)
    for path in walk(root):
        rel = os.path.relpath(path, root)
        ext = os.path.splitext(path)[1]
        if ext not in TEXT_EXTENSIONS and os.path.basename(path) != "CMakeLists.txt":
            continue
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if SHARED_PATH.search(line):
                problems.append("%s:%d: refers to the private shared folder, "
                                "which a clone does not have" % (rel, number))
            if PRIVATE_NOTES.search(line) and os.path.realpath(path) != this_file:
                problems.append("%s:%d: mentions %s, which is not in the "
                                "repository (cite docs/domain.md or "
                                "docs/architecture.md)" %
                                (rel, number, PRIVATE_NOTES.search(line).group(0)))
            for cite in SECTION_CITE.finditer(line):
                if cite.group(1) not in sections:
                    problems.append("%s:%d: cites docs/domain.md §%s, which "
                                    "has no such section" %
                                    (rel, number, cite.group(1)))
        if ext != ".md":
            continue
        markdown_files += 1
        for number, line in markdown_lines(text):
            targets = [m.group(1) for m in INLINE_LINK.finditer(line)]
            ref = REFERENCE_LINK.match(line)
            if ref:
                targets.append(ref.group(1))
            for target in targets:
                links += 1
                problem = check_link(root, path, target)
                if problem:
                    problems.append("%s:%d: %s" % (rel, number, problem))
    return problems, markdown_files, links


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    root = os.path.abspath(argv[1])
    problems, markdown_files, links = check(root)
    for problem in problems:
        print(problem)
    print("%d Markdown files, %d links checked, %d problems" %
          (markdown_files, links, len(problems)))
    if markdown_files == 0:
        print("no Markdown file found under %s" % root)
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
