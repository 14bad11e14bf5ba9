#!/usr/bin/env bash
# Model-server benchmark: HTTP vs in-process OrtSession.run latency, and cold start to ready per model.
# Usage: bench/model-server/run.sh [-Dbench.iterations=300] [-Dbench.coldRuns=3 (0: no cold starts)] [-Dbench.latencyModels=minilm,distilbert-shape]
# Prepares the models in $SALVO_MODEL_DIR (default ~/.cache/salvo/models; ~800 MB for all of them).
# The program is io.salvo.bench.modelserver.ModelServerBench in the bench module; arguments are JVM options.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL_DIR="${SALVO_MODEL_DIR:-$HOME/.cache/salvo/models}"
mvn -B -q -DskipTests package -pl bench -am
JAR=model-server/target/salvo-model-server.jar
for model in tabular-logreg tiny-bert-shape minilm distilbert-shape bert-base-shape; do
  java -jar "$JAR" models prepare "$model" --dir "$MODEL_DIR" 2>/dev/null
done
exec java -Xss8m -Dbench.modelDir="$MODEL_DIR" -Dbench.jar="$JAR" "$@" \
  -cp "bench/target/salvo-bench.jar:bench/target/lib/*" io.salvo.bench.modelserver.ModelServerBench
