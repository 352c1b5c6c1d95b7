#!/usr/bin/env bash
# Rewrites citations of Markdown files that are not in the repository into citations of the
# repository's own docs/ (issue 14: the repository stands alone). Mechanical and idempotent:
#
#   <dir>/shared/spec/test-infrastructure → docs/testing       bare test-infrastructure → docs/testing
#   <dir>/shared/spec/<name>              → docs/<name>        (any ../ prefix)
#   semantics §13 (index of differences)  → docs/decisions     (the § number is dropped)
#   <dir>/shared/corpus/README            → docs/testing       ("The corpus")
#   style §2, §2.2 (stable error codes)   → docs/errors
#   architecture "Deployment"             → README "Deployment"
#   module-doc                            → Rspamd's antivirus module documentation
#   bare <name>, when docs/<name> exists  → docs/<name>        (files outside docs/ only:
#                                                               inside docs/ a bare name already
#                                                               resolves beside the citing page;
#                                                               '<name>' alone in quotes is code
#                                                               and stays)
#
# (every <name> above ends in .md). Run it from anywhere, after the docs/ pages exist:
#
#   scripts/rewrite-doc-citations.sh          # rewrite in place, then show git diff --stat
#   scripts/rewrite-doc-citations.sh --check  # only list the files it would change (exit 1 if any)
#
# then check the result with: npx jest --selectProjects unit -- test/docs/citations.test.ts
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

check_only=0
case "${1:-}" in
  --check) check_only=1 ;;
  '') ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

# Pages of docs/ (names without the extension), for the bare-name rule.
docs_pages="$(find docs -maxdepth 1 -type f -name '*.md' -printf '%f\n' | sed 's/\.md$//' | paste -sd '|' -)"
export AVF_DOCS_PAGES="$docs_pages"

# The files the citation test reads: tracked or new, not ignored; no node_modules, no dist.
list_files() {
  git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    case "/$f/" in */node_modules/*|*/dist/*) continue ;; esac
    [[ -f "$f" ]] || continue
    case "$f" in
      scripts/rewrite-doc-citations.sh|test/docs/citations.test.ts|package-lock.json|*/package-lock.json) continue ;;
    esac
    name="${f##*/}"
    case "$name" in
      Dockerfile|*.Dockerfile|*.ts|*.tsx|*.js|*.cjs|*.mjs|*.sh|*.bash|*.md|*.yml|*.yaml|*.json|*.conf|*.lua|*.py|*.toml)
        printf '%s\0' "$f" ;;
      *.*) ;;
      *) if head -c 2 "$f" | grep -q '^#!'; then printf '%s\0' "$f"; fi ;;
    esac
  done
}

# One perl program for every file; AVF_IN_DOCS=1 for pages under docs/ (no docs/ prefix there).
read -r -d '' program <<'PERL' || true
my $in_docs = $ENV{AVF_IN_DOCS};
my $docs = $in_docs ? '' : 'docs/';
my $pages = $ENV{AVF_DOCS_PAGES};
my $M = '\.md';
my $E = '.md';
# Into the shared folder beside a checkout.
s{(?:\.\./)*shared/spec/semantics${M}(`?)\s*§13\b}{${docs}decisions.md$1}g;
s{(?:\.\./)*shared/spec/test-infrastructure${M}}{${docs}testing.md}g;
s{(?:\.\./)*shared/spec/([\w-]+)${M}}{${docs}$1$E}g;
s{\(see (?:\.\./)*shared/corpus/README${M}\)}{(see ${docs}testing.md, "The corpus")}g;
s{(?:\.\./)*shared/corpus/README${M}}{${docs}testing.md}g;
# Design notes that became other pages.
s{(?<![\w./-])semantics${M}(`?)\s*§13\b}{${docs}decisions.md$1}g;
s{(?<![\w./-])test-infrastructure${M}}{${docs}testing.md}g;
s{(?<![\w./-])style${M}\s*§2(?:\.\d+)*}{${docs}errors.md}g;
s{(?<![\w./-])architecture${M} "Deployment"}{README.md "Deployment"}g;
s{(?<![\w./-])module-doc${M}'s example rules load}{the example rules of Rspamd's antivirus module documentation load}g;
s{(?<![\w./-])module-doc${M}}{Rspamd's antivirus module documentation}g;
# Bare names of existing pages, outside docs/; a name alone in quotes is a file name in code
# (join(root, 'docs', '<name>.md')) and stays.
if (!$in_docs && $pages ne '') {
  s{(?<![\w./-])(['"]?)((?:$pages))${M}\b(['"]?)}{($1 ne '' && $3 ne '') ? "$1$2$E$3" : "$1docs/$2$E$3"}ge;
}
PERL

changed=()
while IFS= read -r -d '' f; do
  in_docs=0
  [[ "$f" == docs/*.md && "$f" != docs/*/* ]] && in_docs=1
  tmp="$(mktemp)"
  AVF_IN_DOCS="$in_docs" perl -pe "$program" "$f" >"$tmp"
  if cmp -s "$f" "$tmp"; then
    rm -f "$tmp"
    continue
  fi
  changed+=("$f")
  if [[ $check_only == 1 ]]; then
    rm -f "$tmp"
  else
    cat "$tmp" >"$f" # keeps the file's mode
    rm -f "$tmp"
  fi
done < <(list_files)

if [[ $check_only == 1 ]]; then
  printf '%s\n' "${changed[@]+"${changed[@]}"}"
  [[ ${#changed[@]} -eq 0 ]] || exit 1
  exit 0
fi
echo "avfleet: rewrote citations in ${#changed[@]} file(s)"
if [[ ${#changed[@]} -gt 0 ]]; then git diff --stat -- "${changed[@]}" | tail -n 1; fi
