defmodule Aybiza.ClusterCase do
  @moduledoc """
  Real peer nodes for the cluster tests (OTP's `:peer`, no extra services).

  The test VM (started by `mix test`, not distributed) becomes a distributed node with
  `:net_kernel.start/1` (`-name` style, listening on 127.0.0.1 only; epmd, which ships with
  Erlang, is started on 127.0.0.1 when it is not running). Each peer gets this VM's code paths (`_build` with the
  compiled library, its `priv/` with the NIF), this VM's `:aybiza_bedrock` environment, and
  starts the application.

  A test module uses it with:

      use ExUnit.Case, async: false
      @moduletag :cluster
      @moduletag Aybiza.ClusterCase.skip_tag()

  `skip_tag/0` is `[]` when distribution is up and `[skip: "why"]` when it cannot start
  (then the tests are reported as skipped with that reason, not failed).
  """

  @doc """
  Makes this VM a distributed node if it is not one yet. Returns `:ok` or `{:error, why}`.
  """
  @spec ensure_distributed() :: :ok | {:error, String.t()}
  def ensure_distributed do
    if Node.alive?() do
      :ok
    else
      ensure_epmd()
      # Distribution listens on 127.0.0.1 only, like every server of the tests.
      Application.put_env(:kernel, :inet_dist_use_interface, {127, 0, 0, 1})
      name = :"aybiza_test_#{System.os_time(:millisecond)}_#{:rand.uniform(1_000_000)}@127.0.0.1"

      case :net_kernel.start([name, :longnames]) do
        {:ok, _} -> :ok
        {:error, {:already_started, _}} -> :ok
        {:error, reason} -> {:error, "distribution did not start: #{inspect(reason)}"}
      end
    end
  end

  # `erl -name` starts epmd itself; `:net_kernel.start/1` does not.
  defp ensure_epmd do
    case :erl_epmd.names() do
      {:ok, _} ->
        :ok

      {:error, _} ->
        case System.find_executable("epmd") ||
               Path.join([:code.root_dir(), "bin", "epmd"]) |> then(&(File.exists?(&1) && &1)) do
          path when is_binary(path) ->
            System.cmd(path, ["-daemon"],
              stderr_to_stdout: true,
              env: [{"ERL_EPMD_ADDRESS", "127.0.0.1"}]
            )

            Process.sleep(200)

          _ ->
            :ok
        end
    end
  end

  @doc "`[]` when the tests can run, else `[skip: reason]` (for `@moduletag`)."
  @spec skip_tag() :: keyword()
  def skip_tag do
    case ensure_distributed() do
      :ok -> []
      {:error, why} -> [skip: "cluster tests need Erlang distribution: #{why}"]
    end
  end

  @doc """
  Starts `count` peer nodes running the library. Options:

    * `:env` - extra `{app, key, value}` to set on the peers before the application starts
      (e.g. Mnesia's `:dir`).
    * `:start` - whether to start `:aybiza_bedrock` (default true).

  Returns `[%{peer: pid, node: node}]`; the peers stop when the calling test process exits.
  """
  @spec start_peers(pos_integer(), keyword()) :: [%{peer: pid(), node: node()}]
  def start_peers(count, opts \\ []) do
    :ok = ensure_distributed()
    prefix = "aybiza_peer_#{System.unique_integer([:positive])}"
    peers = for i <- 1..count, do: start_peer(:"#{prefix}_#{i}", opts)
    mesh(peers)
    peers
  end

  @doc """
  Connects every peer to every other (and to the peers already running) and waits until
  each sees the others in the library's `:pg` groups.
  """
  @spec mesh([%{node: node()}]) :: :ok
  def mesh(peers) do
    nodes = Enum.map(peers, & &1.node)
    all = Enum.uniq(nodes ++ Node.list())

    for a <- nodes, b <- all, a != b, do: true = :erpc.call(a, Node, :connect, [b])

    eventually(fn ->
      Enum.all?(nodes, fn node ->
        members = :erpc.call(node, Aybiza.Bedrock.Cluster, :nodes, [])
        Enum.all?(nodes, &(&1 in members))
      end)
    end)

    :ok
  end

  @doc "Starts one peer named `name` (see `start_peers/2`)."
  @spec start_peer(atom(), keyword()) :: %{peer: pid(), node: node()}
  def start_peer(name, opts \\ []) do
    paths = Enum.flat_map(:code.get_path(), &[~c"-pa", &1])
    # The peers share this VM's cookie; distribution over 127.0.0.1 only.
    args =
      [~c"-setcookie", Atom.to_charlist(Node.get_cookie())] ++
        [~c"-kernel", ~c"inet_dist_use_interface", ~c"{127,0,0,1}" | paths]

    {:ok, peer, node} =
      :peer.start_link(%{
        name: name,
        host: ~c"127.0.0.1",
        longnames: true,
        args: args,
        wait_boot: 30_000
      })

    # Elixir's own applications first (the paths are there, the apps are not started).
    {:ok, _} = :erpc.call(node, :application, :ensure_all_started, [:elixir])
    {:ok, _} = :erpc.call(node, :application, :ensure_all_started, [:logger])
    :ok = :erpc.call(node, Logger, :configure, [[level: :error]])

    for {key, value} <- Application.get_all_env(:aybiza_bedrock),
        do: :ok = :erpc.call(node, Application, :put_env, [:aybiza_bedrock, key, value])

    # The test VM is not a member of the cluster (config/test.exs); its peers are.
    :ok = :erpc.call(node, Application, :put_env, [:aybiza_bedrock, :cluster, [enabled: true]])

    for {app, key, value} <- Keyword.get(opts, :env, []),
        do: :ok = :erpc.call(node, Application, :put_env, [app, key, value])

    if Keyword.get(opts, :start, true) do
      {:ok, _} = :erpc.call(node, Application, :ensure_all_started, [:aybiza_bedrock], 60_000)
    end

    %{peer: peer, node: node}
  end

  @doc "Stops a peer (its node goes down as for a crash seen from the others)."
  @spec stop_peer(%{peer: pid()}) :: :ok
  def stop_peer(%{peer: peer}) do
    :peer.stop(peer)
  catch
    :exit, _ -> :ok
  end

  @doc "Polls `fun` every 20 ms until it returns a truthy value or `timeout` ms pass."
  @spec eventually((() -> term()), non_neg_integer()) :: term()
  def eventually(fun, timeout \\ 5_000) do
    deadline = System.monotonic_time(:millisecond) + timeout
    do_eventually(fun, deadline)
  end

  defp do_eventually(fun, deadline) do
    case fun.() do
      result when result not in [nil, false] ->
        result

      _ ->
        if System.monotonic_time(:millisecond) > deadline do
          raise ExUnit.AssertionError, message: "condition not met in time: #{inspect(fun)}"
        end

        Process.sleep(20)
        do_eventually(fun, deadline)
    end
  end

  @doc false
  # A health function for the cluster-view tests: sleeps `ms` on `slow_node`, answers at
  # once elsewhere.
  def health_slow_on(slow_node, ms) do
    if node() == slow_node, do: Process.sleep(ms)
    %{status: :ok, node: node()}
  end
end
