defmodule Mix.Tasks.Aybiza.BuildNif do
  @shortdoc "Builds the aybiza_bedrock NIF once, for releases and images without Rust"
  @moduledoc """
  Builds the aybiza_bedrock NIF library with cargo and writes it to a file you can ship, so
  that a release or Docker image compiles the library without Rust:

      mix aybiza.build_nif --out /tmp/nif/libaybiza_nif.so
      AYBIZA_NIF_PATH=/tmp/nif/libaybiza_nif.so MIX_ENV=prod mix release

  With `AYBIZA_NIF_PATH` set, the library's Mix compiler installs that file into
  `priv/native` instead of running cargo. The file must come from the same version of
  aybiza_bedrock and the same OS, CPU architecture and libc as the machine that loads it;
  the VM refuses to load a library whose NIF functions do not match.

  Options:

    * `--out PATH` - where to write the library (default `libaybiza_nif.so` in the current
      directory)
    * `--profile NAME` - cargo profile (default `release`)
    * `--emulator` / `--no-emulator` - include the embedded emulator
      (`Aybiza.Bedrock.Emulator`) or not (default: as `AYBIZA_NIF_EMULATOR`, else left
      out, as in any `:prod` build: the file is meant for releases and images)

  Works in this project and in a host app that depends on aybiza_bedrock.
  """
  use Mix.Task

  @switches [out: :string, profile: :string, emulator: :boolean]

  @impl true
  def run(argv) do
    {opts, rest, invalid} = OptionParser.parse(argv, strict: @switches)

    if rest != [] or invalid != [] do
      Mix.raise("usage: mix aybiza.build_nif [--out PATH] [--profile NAME] [--[no-]emulator]")
    end

    out = Path.expand(Keyword.get(opts, :out, "libaybiza_nif.so"))

    features =
      case Keyword.fetch(opts, :emulator) do
        {:ok, true} ->
          :emulator

        {:ok, false} ->
          :minimal

        # As for a prod build: AYBIZA_NIF_EMULATOR if set, else without the emulator.
        :error ->
          Mix.Tasks.Compile.AybizaNif.cargo_features(
            Path.join(["_build", "prod", "lib", "aybiza_bedrock"])
          )
      end

    built =
      Mix.Tasks.Compile.AybizaNif.build!(
        crate_root(),
        Keyword.get(opts, :profile, "release"),
        features
      )

    Mix.Tasks.Compile.AybizaNif.install!(built, out)
    Mix.shell().info("Wrote #{out}\nUse it with: AYBIZA_NIF_PATH=#{out} mix compile")
  end

  # The source tree of aybiza_bedrock: this project, or the dependency of a host app.
  defp crate_root do
    case Mix.Project.deps_paths()[:aybiza_bedrock] do
      nil -> File.cwd!()
      path -> path
    end
  end
end
