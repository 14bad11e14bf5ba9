package io.salvo.cli;

import io.salvo.benchmark.BenchmarkFiles;
import io.salvo.benchmark.ComparisonTables;
import io.salvo.benchmark.ExperimentRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        description = "Prints the benchmark comparison tables from saved benchmark run records"
                + " (<model>.<profile>.<experiment>.json, written by 'salvo demo'), or from folders holding them.")
final class CompareCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "RUN.json|FOLDER", description = "Benchmark run records or folders.")
    List<Path> paths;

    @Override
    public Integer call() {
        List<ExperimentRecord> records;
        try {
            records = BenchmarkFiles.read(paths);
        } catch (IOException e) {
            System.err.println("salvo: " + e.getMessage());
            return RunExecution.USER_ERROR;
        }
        if (records.isEmpty()) {
            System.err.println("salvo: no benchmark run records in " + paths);
            return RunExecution.USER_ERROR;
        }
        System.out.print(ComparisonTables.render(records));
        return RunExecution.OK;
    }
}
