#!/usr/bin/env python3
"""A unity build compiles a module's files as one unit, so their
anonymous-namespace helpers share one scope. Two types or constants of one
name then fail to compile, but two functions of one name with different
parameters become overloads of each other, and a call may silently pick the
other file's. This check fails on any function name defined at file level in
the anonymous namespaces of two files of one unity-built module, within the
same enclosing namespace.

Usage: unity_overloads.py SOURCE_DIR BUILD_DIR
The files checked are those CMake put into batches (BUILD_DIR/CMakeFiles/
*/Unity/unity_*.cxx), so files built on their own are left out.
"""
import collections
import glob
import os
import re
import sys

NAMED = re.compile(r"^namespace\s+([\w:]+)\s*\{")
ANONYMOUS = re.compile(r"^namespace\s*\{")
CLOSE = re.compile(r"^\}\s*//\s*namespace\b")
# A function defined at column 0: a return type, then NAME( ... (clang-format
# puts file-level definitions there; members and lambdas are indented).
FUNCTION = re.compile(r"^(?!return\b|using\b|struct\b|class\b|enum\b|template\b)"
                      r"[A-Za-z_][\w:<>,\s\*&]*?[\s\*&]([a-z_]\w*)\s*\(")


def anonymous_functions(path):
    """(enclosing namespace, function name) for each file-level function of
    an anonymous namespace in the file."""
    found, stack = set(), []
    for line in open(path, encoding="utf-8"):
        if m := NAMED.match(line):
            stack.append(m.group(1))
        elif ANONYMOUS.match(line):
            stack.append("")
        elif CLOSE.match(line) and stack:
            stack.pop()
        elif stack and stack[-1] == "" and (m := FUNCTION.match(line)):
            found.add(("::".join(n for n in stack if n), m.group(1)))
    return found


def main(source_dir, build_dir):
    problems = []
    for target_dir in sorted(glob.glob(os.path.join(build_dir, "CMakeFiles", "*.dir"))):
        files = set()
        for batch in glob.glob(os.path.join(target_dir, "Unity", "unity_*.cxx")):
            for line in open(batch, encoding="utf-8"):
                if m := re.match(r'#include\s+"(.+\.cpp)"', line):
                    files.add(os.path.realpath(m.group(1)))
        owners = collections.defaultdict(set)
        for path in files:
            for key in anonymous_functions(path):
                owners[key].add(os.path.relpath(path, source_dir))
        for (namespace, name), paths in sorted(owners.items()):
            if len(paths) > 1:
                problems.append(f"{namespace}::(anonymous)::{name} in {', '.join(sorted(paths))}")
    for problem in problems:
        print(f"one name, two files of one unity-built module: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
