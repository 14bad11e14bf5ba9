#!/usr/bin/env bash
# Interleaved A/B of the model server at another revision against this tree: both servers and the in-process
# OrtSession.run baseline share every round, so background load hits them alike.
# Usage: bench/model-server/ab.sh BASE_REV [-Dbench.threads=1] [-Dbench.model=distilbert-shape] [-Dbench.iterations=300] [-Dbench.warmup=1000]
# BASE_REV is built from `git archive` in a temporary directory (removed on exit); nothing is installed.
# This tree's server starts first: the copy of the weights loaded first tends to run the model slower (RESULTS.md),
# so any such bias in the total-vs-in-process column goes against the change, not for it.
# The program is io.salvo.bench.modelserver.ServerAB in this tree's bench module; arguments after BASE_REV are
# JVM options.
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE_REV="${1:?usage: bench/model-server/ab.sh BASE_REV [-Dbench.threads=N ...]}"
shift
MODEL_DIR="${SALVO_MODEL_DIR:-$HOME/.cache/salvo/models}"
BASE_DIR="$(mktemp -d)"
trap 'rm -rf "$BASE_DIR"' EXIT
git archive "$BASE_REV" | tar -x -C "$BASE_DIR"
# Only the base's server is needed (older revisions have no bench module).
(cd "$BASE_DIR" && mvn -B -q package -pl model-server -am -DskipTests)
mvn -B -q -DskipTests package -pl bench -am
JAR=model-server/target/salvo-model-server.jar
java -jar "$JAR" models prepare distilbert-shape --dir "$MODEL_DIR" 2>/dev/null
java -jar "$JAR" models prepare minilm --dir "$MODEL_DIR" 2>/dev/null
java -Xss8m -Dbench.modelDir="$MODEL_DIR" -Dbench.jars="head=$JAR,base=$BASE_DIR/$JAR" "$@" \
  -cp "bench/target/salvo-bench.jar:bench/target/lib/*" io.salvo.bench.modelserver.ServerAB
