defmodule Mix.Tasks.Compile.AybizaNif do
  # Defined here, not under lib/, because compilers run before lib/ is compiled.
  #
  # Builds the NIF crate with cargo and installs it into priv/native, or, when
  # AYBIZA_NIF_PATH names a prebuilt library (see `mix aybiza.build_nif`), installs that
  # file and needs no Rust at all: for releases and Docker images.
  @moduledoc false
  use Mix.Task.Compiler

  @crate "aybiza_nif"
  # The NIF crate and the crates it links; benches and fuzz targets do not affect it.
  @watched [
    "native/aybiza_nif",
    "native/aybiza_core",
    "native/aybiza_engine",
    "native/bedrock_emulator",
    "Cargo.toml",
    "Cargo.lock"
  ]

  @impl true
  def run(_args) do
    root = Path.expand(__DIR__)
    target = Path.join(priv_native_dir(), "lib#{@crate}.so")
    stamp_file = Path.join(Mix.Project.manifest_path(), "compile.aybiza_nif")

    {stamp, source} =
      case prebuilt_path() do
        nil ->
          profile = cargo_profile()
          features = cargo_features()
          {{profile, features, fingerprint(root)}, fn -> build!(root, profile, features) end}

        path ->
          {{:prebuilt, path, file_fingerprint(path)}, fn -> path end}
      end

    if File.exists?(target) and read_stamp(stamp_file) == stamp do
      {:noop, []}
    else
      install!(source.(), target)
      File.mkdir_p!(Path.dirname(stamp_file))
      File.write!(stamp_file, :erlang.term_to_binary(stamp))
      {:ok, []}
    end
  end

  @impl true
  def manifests, do: [Path.join(Mix.Project.manifest_path(), "compile.aybiza_nif")]

  @impl true
  def clean do
    File.rm(Path.join(priv_native_dir(), "lib#{@crate}.so"))
    File.rm(Path.join(Mix.Project.manifest_path(), "compile.aybiza_nif"))
    :ok
  end

  @doc false
  # Builds the library with `profile` in the crate workspace at `root`; returns its path.
  # `features` is `:emulator` (the crate's default features) or `:minimal` (none).
  def build!(root, profile, features \\ cargo_features()) do
    Mix.shell().info("Compiling NIF crate #{@crate} (cargo, profile #{profile}, #{features})")
    args = ["build", "-p", @crate, "--profile", profile, "--message-format", "short"]
    args = if features == :minimal, do: args ++ ["--no-default-features"], else: args

    unless System.find_executable("cargo") do
      Mix.raise(
        "cargo is not on the PATH: install Rust (https://rustup.rs) to build the " <>
          "aybiza_bedrock NIF, or set AYBIZA_NIF_PATH to a library built with " <>
          "`mix aybiza.build_nif` (see the README, \"Prebuilt NIF\")"
      )
    end

    case System.cmd("cargo", args, cd: root, stderr_to_stdout: true, into: IO.stream()) do
      {_, 0} -> built_library(root, profile)
      {_, status} -> Mix.raise("cargo build of #{@crate} failed (exit status #{status})")
    end
  end

  defp prebuilt_path do
    case System.get_env("AYBIZA_NIF_PATH") do
      blank when blank in [nil, ""] ->
        nil

      path ->
        path = Path.expand(path)

        File.regular?(path) ||
          Mix.raise(
            "AYBIZA_NIF_PATH=#{path} is not a file (build one with `mix aybiza.build_nif`)"
          )

        path
    end
  end

  # Release builds outside dev/test: the NIF is on the hot path of live calls.
  defp cargo_profile do
    case System.get_env("AYBIZA_CARGO_PROFILE") do
      nil -> if Mix.env() in [:dev, :test], do: "dev", else: "release"
      profile -> profile
    end
  end

  # The embedded emulator (tests, the demo, benches) is a cargo feature: in a :dev or :test
  # build, left out of a :prod one (a release or Docker image), where it would only add build
  # time. A host app compiles its dependencies in :prod whatever its own env, so the env is
  # read from the build the NIF goes into (`_build/<env>/lib/aybiza_bedrock`), else
  # Mix.env(). AYBIZA_NIF_EMULATOR=1 / 0 decides instead.
  @doc false
  def cargo_features(app_path \\ Mix.Project.app_path()) do
    case System.get_env("AYBIZA_NIF_EMULATOR") do
      v when v in ["1", "true"] ->
        :emulator

      v when v in ["0", "false"] ->
        :minimal

      v when v in [nil, ""] ->
        if build_env(app_path) in [:dev, :test], do: :emulator, else: :minimal

      other ->
        Mix.raise("AYBIZA_NIF_EMULATOR=#{other}: expected 1 or 0")
    end
  end

  defp build_env(app_path) do
    case app_path |> Path.split() |> Enum.take(-3) do
      [env, "lib", _app] when env in ["dev", "test", "prod"] -> String.to_atom(env)
      _ -> Mix.env()
    end
  end

  defp priv_native_dir, do: Path.join(Mix.Project.app_path(), "priv/native")

  defp built_library(root, profile) do
    dir = if profile == "dev", do: "debug", else: profile
    target_dir = System.get_env("CARGO_TARGET_DIR") || Path.join(root, "target")
    Path.join([target_dir, dir, "lib#{@crate}.so"])
  end

  # Copy to a temp file and rename, so a running VM never sees a half-written library.
  @doc false
  def install!(source, target) do
    File.mkdir_p!(Path.dirname(target))
    tmp = target <> ".tmp#{System.unique_integer([:positive])}"
    File.cp!(source, tmp)
    File.rename!(tmp, target)
  end

  defp file_fingerprint(path) do
    stat = File.stat!(path, time: :posix)
    {stat.size, stat.mtime}
  end

  defp fingerprint(root) do
    @watched
    |> Enum.flat_map(fn entry ->
      path = Path.join(root, entry)

      # Sources and compiled-in data (include_str!) of each crate, and its manifest.
      if File.dir?(path),
        do: [Path.join(path, "Cargo.toml") | Path.wildcard(Path.join(path, "{src,data}/**/*"))],
        else: [path]
    end)
    |> Enum.sort()
    |> Enum.map(fn path ->
      case File.stat(path, time: :posix) do
        {:ok, stat} -> {path, stat.size, stat.mtime}
        {:error, _} -> {path, :missing}
      end
    end)
    |> :erlang.term_to_binary()
    |> then(&:crypto.hash(:sha256, &1))
  end

  defp read_stamp(file) do
    case File.read(file) do
      {:ok, bin} -> :erlang.binary_to_term(bin)
      _ -> nil
    end
  end
end

defmodule AybizaBedrock.MixProject do
  use Mix.Project

  @version "0.1.0"

  def project do
    [
      app: :aybiza_bedrock,
      version: @version,
      elixir: "~> 1.14",
      start_permanent: Mix.env() == :prod,
      # The NIF first: Aybiza.Native's @on_load runs at compile time and needs the library.
      compilers: [:aybiza_nif | Mix.compilers()],
      elixirc_paths: elixirc_paths(Mix.env()),
      deps: [],
      docs: [main: "readme"],
      test_coverage: [summary: [threshold: 0]]
    ]
  end

  def application do
    [
      extra_applications: [:logger, :crypto],
      mod: {Aybiza.Bedrock.Application, []}
    ]
  end

  defp elixirc_paths(:test), do: ["lib", "test/support"]
  defp elixirc_paths(_), do: ["lib"]
end
