defmodule Mix.Tasks.Compile.Cargo do
  # Defined here, not under lib/, because compilers run before lib/ is compiled.
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
    root = File.cwd!()
    profile = cargo_profile()
    target = Path.join(priv_native_dir(), "lib#{@crate}.so")
    stamp_file = Path.join(Mix.Project.manifest_path(), "compile.cargo")
    stamp = {profile, fingerprint(root)}

    if File.exists?(target) and read_stamp(stamp_file) == stamp do
      {:noop, []}
    else
      build!(root, profile)
      install!(built_library(root, profile), target)
      File.mkdir_p!(Path.dirname(stamp_file))
      File.write!(stamp_file, :erlang.term_to_binary(stamp))
      {:ok, []}
    end
  end

  @impl true
  def manifests, do: [Path.join(Mix.Project.manifest_path(), "compile.cargo")]

  @impl true
  def clean do
    File.rm(Path.join(priv_native_dir(), "lib#{@crate}.so"))
    File.rm(Path.join(Mix.Project.manifest_path(), "compile.cargo"))
    :ok
  end

  # Release builds outside dev/test: the NIF is on the hot path of live calls.
  defp cargo_profile do
    case System.get_env("AYBIZA_CARGO_PROFILE") do
      nil -> if Mix.env() in [:dev, :test], do: "dev", else: "release"
      profile -> profile
    end
  end

  defp priv_native_dir, do: Path.join(Mix.Project.app_path(), "priv/native")

  defp build!(root, profile) do
    Mix.shell().info("Compiling NIF crate #{@crate} (cargo, profile #{profile})")
    args = ["build", "-p", @crate, "--profile", profile, "--message-format", "short"]

    case System.cmd("cargo", args, cd: root, stderr_to_stdout: true, into: IO.stream()) do
      {_, 0} -> :ok
      {_, status} -> Mix.raise("cargo build of #{@crate} failed (exit status #{status})")
    end
  end

  defp built_library(root, profile) do
    dir = if profile == "dev", do: "debug", else: profile
    target_dir = System.get_env("CARGO_TARGET_DIR") || Path.join(root, "target")
    Path.join([target_dir, dir, "lib#{@crate}.so"])
  end

  # Copy to a temp file and rename, so a running VM never sees a half-written library.
  defp install!(source, target) do
    File.mkdir_p!(Path.dirname(target))
    tmp = target <> ".tmp#{System.unique_integer([:positive])}"
    File.cp!(source, tmp)
    File.rename!(tmp, target)
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
      # :cargo first: Aybiza.Native's @on_load runs at compile time and needs the library.
      compilers: [:cargo | Mix.compilers()],
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
