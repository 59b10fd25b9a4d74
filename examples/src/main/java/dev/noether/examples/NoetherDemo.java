package dev.noether.examples;

import dev.noether.examples.gallery.GalleryCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The demo launcher: {@code java -jar examples/target/noether-examples.jar <subcommand> [flags]}. Every
 * training subcommand shares the flags of {@link TrainingOptions}, so scripts can switch engines.
 */
@Command(name = "noether-examples", mixinStandardHelpOptions = true,
        versionProvider = NoetherDemo.Version.class,
        description = "Trains a small network with live Noether metrics at http://127.0.0.1:9464/metrics.",
        subcommands = {DjlMlpCommand.class, DjlResNetDecayCommand.class, DjlTransformerCommand.class, Dl4jMlpCommand.class,
                Dl4jIrisCommand.class, Dl4jLstmCommand.class, OptimizersCommand.class, GalleryCommand.class,
                CommandLine.HelpCommand.class})
public final class NoetherDemo {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (for tests). */
    static int run(String... args) {
        return new CommandLine(new NoetherDemo()).execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = NoetherDemo.class.getPackage().getImplementationVersion();
            return new String[] {"Noether examples " + (v == null ? "dev" : v)};
        }
    }
}
