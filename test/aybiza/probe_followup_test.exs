defmodule Aybiza.ProbeFollowupTest do
  # Issue 16 follow-up: the code added since the last red-team pass (start_call_small's
  # bounded walk, the conversation memory's input checks, Sonic.cost/2 with a summary,
  # circuit-breaker entries for made-up targets) with hostile terms. Each test here failed
  # before its fix (see docs/SECURITY.md, "Red-team passes").
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock.{CircuitBreaker, Config, Sonic}
  alias Aybiza.Bedrock.ConversationMemory, as: Memory
  alias Aybiza.{Error, Native}

  @model "us.anthropic.claude-haiku-4-5-20251001-v1:0"

  describe "Native.start_call_small/5 at and over its budget (2,048 terms, 32 KiB)" do
    setup do
      # Nothing listens on port 9: a call that starts fails later, on the network.
      {:ok, config} =
        Config.client_config(
          endpoint: "http://127.0.0.1:9",
          region: "us-east-1",
          credentials: {:static, "AKIAPROBEFOLLOWUP000", "PROBE-SECRET"}
        )

      native = Config.native(config)
      opts = %{sentences: %{}, limits: %{}}
      # The VM's first call goes dirty (it builds the runtime): make sure it happened.
      request = %{model_id: @model, messages: [%{role: :user, content: "Hi"}]}
      {:ok, ref} = Native.start_call(:converse_stream, request, native, self(), opts)
      Native.cancel(ref)
      %{native: native, opts: opts}
    end

    defp small(term, native, opts, to \\ self()),
      do: Native.start_call_small(:converse_stream, term, native, to, opts)

    test "exactly at the budget starts here; one term or byte more goes dirty",
         %{native: native, opts: opts} do
      # A list of n elements is n + 1 terms (the list itself).
      assert {:error, %Error{reason: :invalid_request}} =
               small(List.duplicate("", 2_047), native, opts)

      assert :dirty = small(List.duplicate("", 2_048), native, opts)

      assert {:error, %Error{reason: :invalid_request}} =
               small([:binary.copy("a", 32_768)], native, opts)

      assert :dirty = small([:binary.copy("a", 32_769)], native, opts)

      # Shared sub-terms count once per occurrence (the walk never under-counts), and a
      # sub-binary counts its own length, not its parent's.
      shared = :binary.copy("a", 1_024)
      assert :dirty = small(List.duplicate(shared, 40), native, opts)
      sub = binary_part(:binary.copy("a", 10_000_000), 5, 30_000)
      assert {:error, %Error{reason: :invalid_request}} = small([sub], native, opts)
    end

    test "odd terms within the budget are this call's invalid_request, never a crash",
         %{native: native, opts: opts} do
      huge_bits = <<1::1, :binary.copy("a", 5_000_000)::binary>>
      deep = Enum.reduce(1..1_500, "x", fn _, acc -> [acc] end)

      for {term, message} <- [
            {[huge_bits], ~r/bitstring/},
            {[Integer.pow(2, 1_000_000)], ~r/beyond 64 bits/},
            {deep, ~r/nesting depth/},
            {[1 | 2], ~r/improper list/},
            {%{model_id: @model, messages: [%{role: :user, content: [%{text: <<0xFF>>}]}]},
             ~r/UTF-8/}
          ] do
        assert {:error, %Error{reason: :invalid_request, message: m}} = small(term, native, opts)

        assert m =~ message
      end

      # A dead receiver: the call starts and is stopped at once; nothing is delivered.
      dead = spawn(fn -> :ok end)
      ref = Process.monitor(dead)
      assert_receive {:DOWN, ^ref, _, _, _}
      request = %{model_id: @model, messages: [%{role: :user, content: "Hi"}]}
      assert {:ok, _call} = small(request, native, opts, dead)
    end
  end

  describe "secrets in NIF exceptions" do
    # A pid of another node (none is connected): its NIF decode is a badarg.
    defp remote_pid do
      node = "probe@nowhere"
      :erlang.binary_to_term(<<131, 88, 119, byte_size(node), node::binary, 1::32, 0::32, 1::32>>)
    end

    defp formatted(fun) do
      fun.()
      flunk("expected an exception")
    rescue
      e -> {e, Exception.format(:error, e, __STACKTRACE__)}
    end

    test "a remote pid as stream/2's :to is an ArgumentError that prints no credential" do
      request = %{model_id: @model, messages: [%{role: :user, content: "Hi"}]}

      opts = [
        region: "us-east-1",
        endpoint: "http://127.0.0.1:9",
        credentials: {:static, "AKIAPROBEFOLLOWUP000", "PROBE-SECRET"},
        to: remote_pid()
      ]

      {e, text} = formatted(fn -> Aybiza.Bedrock.stream(request, opts) end)
      assert %ArgumentError{message: ":to must be a local pid, got a pid"} = e
      refute text =~ "PROBE-SECRET"
      refute text =~ "AKIAPROBE"
    end

    test "malformed options or arguments of every entry point raise ArgumentError, no secret" do
      request = %{model_id: @model, messages: [%{role: :user, content: "Hi"}]}
      secret = "PROBE-SECRET-SHAPES"

      base = [
        region: "us-east-1",
        endpoint: "http://127.0.0.1:9",
        credentials: {:static, "AKIAPROBEFOLLOWUP000", secret}
      ]

      # A map, an improper list, a list with a non-pair: each would reach a Keyword function
      # or a function clause whose error prints every argument, the plain secret included.
      shapes = [Map.new(base), base ++ :tail, base ++ [5]]

      calls = [
        {"health/1", fn o -> Aybiza.Bedrock.health(o) end},
        {"stream_events/2", fn o -> Aybiza.Bedrock.stream_events(request, o) end},
        {"Sonic.start_session/1", fn o -> Sonic.start_session(o) end},
        {"ToolLoop.stream/3", fn o -> Aybiza.Bedrock.ToolLoop.stream(request, [], o) end},
        {"ToolLoop.run/3", fn o -> Aybiza.Bedrock.ToolLoop.run(request, [], o) end},
        {"ToolLoop.stream/3 tools",
         fn _ -> Aybiza.Bedrock.ToolLoop.stream(request, :t, base) end},
        {"ToolLoop.run/3 request", fn _ -> Aybiza.Bedrock.ToolLoop.run(:r, [], base) end},
        # The memory's :count_tokens carries client options (credentials) to CountTokens.
        {"build_messages_with_memory/3 unknown option",
         fn o -> Memory.build_messages_with_memory("c", "Hi", count_tokens: o, bogus: 1) end},
        {"build_messages_with_memory/3 :count_tokens",
         fn o ->
           Memory.build_messages_with_memory("c", "Hi", count_tokens: o, max_input_tokens: 9)
         end},
        {"build_messages_with_memory/3 keyword :count_tokens",
         fn _ -> Memory.build_messages_with_memory("c", "Hi", count_tokens: base, bogus: 1) end}
      ]

      for {name, call} <- calls, opts <- shapes do
        {e, text} = formatted(fn -> call.(opts) end)
        assert %ArgumentError{} = e, "#{name}: #{inspect(e.__struct__)}"
        refute text =~ secret, "#{name} printed the secret:\n#{text}"
      end
    end

    test "the NIF's own badarg holds the plain configuration; the frames kept drop it" do
      {:ok, config} =
        Config.client_config(
          region: "us-east-1",
          credentials: {:static, "AKIAPROBEFOLLOWUP000", "PROBE-SECRET"}
        )

      try do
        Native.start_call_small(:converse_stream, %{}, Config.native(config), remote_pid(), %{})
        flunk("expected a badarg")
      rescue
        e in ArgumentError ->
          assert Exception.format(:error, e, __STACKTRACE__) =~ "PROBE-SECRET"
          stacktrace = Aybiza.Bedrock.Options.without_arguments(__STACKTRACE__)
          assert [{Native, :start_call_small, 5, _} | _] = stacktrace
          refute Exception.format(:error, e, stacktrace) =~ "PROBE-SECRET"
      end
    end
  end

  describe "Text.push/2 and push_many/2 on a normal scheduler" do
    # "U.S.U.S.U.S..." is one 256-byte token at every period: each period costs the
    # segmenter microseconds (about 10 ms for 16 KiB in a release build on a loaded
    # machine), so a delta under the byte budget but full of periods goes dirty too.
    test "a delta or batch with many periods is done on a dirty scheduler, same sentences" do
      periods = String.duplicate("U.S.", 1_000)

      for opts <- [[], Aybiza.Bedrock.Text.segmenter_options(:voice)] do
        seg = Native.segmenter_new(opts)
        assert :dirty = Native.segmenter_push(seg, periods)
        assert :dirty = Native.segmenter_push_many(seg, List.duplicate("U.S.", 1_000))
      end

      seg = Aybiza.Bedrock.Text.new_segmenter()
      batched = Aybiza.Bedrock.Text.new_segmenter()

      assert Aybiza.Bedrock.Text.push(seg, periods <> " Next one. ") ==
               Aybiza.Bedrock.Text.push_many(batched, [periods, " Next one. "])

      # Ordinary prose (a few sentences) still runs on the calling scheduler.
      seg = Native.segmenter_new([])
      assert is_list(Native.segmenter_push(seg, String.duplicate("Fine, thanks. ", 50)))
    end
  end

  describe "BedrockClient child spec" do
    # A supervisor's reports (with SASL reports on) print a child's "Start Call" with its
    # arguments whenever it crashes or fails to start: the backend's credentials must be
    # sealed in the child spec itself, not only in the started process.
    test "the start arguments hold no plain credential" do
      secret = "PROBE-SECRET-CHILD"
      creds = {:static, "AKIAPROBEFOLLOWUP000", secret}
      backend = {Aybiza.Bedrock.Backend.Native, [credentials: creds]}

      spec =
        Supervisor.child_spec(
          {Aybiza.AWS.BedrockClient, name: :probe_followup_client, backend: backend},
          []
        )

      %{id: Aybiza.AWS.BedrockClient, start: {Aybiza.AWS.BedrockClient, :start_link, [args]}} =
        spec

      refute inspect(args, structs: false, limit: :infinity, printable_limit: :infinity) =~ secret

      # The sealed arguments still start a working client with those credentials. Its
      # settings are published VM-wide (`:persistent_term`), so the previous ones come back
      # after the test: later tests' calls must not run with these credentials.
      settings = Aybiza.AWS.BedrockClient.settings()
      on_exit(fn -> :persistent_term.put({Aybiza.AWS.BedrockClient, :settings}, settings) end)
      pid = start_supervised!(spec)

      assert %{backend: {_, [credentials: %Aybiza.Bedrock.Credentials{} = sealed]}} =
               :sys.get_state(pid)

      assert Aybiza.Bedrock.Credentials.to_native(sealed).secret_access_key == secret
    end
  end

  describe "the VM's first start_call" do
    # start_call_small/5 runs on a normal scheduler only once start_call/5 (dirty) has built
    # the one-time state: the tokio runtime's shards (threads named aybiza-shard-N), the catalog and
    # the segmenter's tables. A first call that failed early (a bad request) must build
    # them too, or the next small call builds them on a normal scheduler. A fresh VM (a
    # peer) is needed: this one has long been warm.
    @tag skip: not File.exists?("/proc/self/task")
    test "builds the runtime even when it fails" do
      paths = Enum.flat_map(:code.get_path(), &[~c"-pa", &1])

      {:ok, peer, _} =
        :peer.start_link(%{connection: :standard_io, args: paths, wait_boot: 30_000})

      {:ok, _} = :peer.call(peer, :application, :ensure_all_started, [:elixir], 30_000)

      script = """
      threads = fn ->
        Path.wildcard("/proc/\#{System.pid()}/task/*/comm")
        |> Enum.count(&String.starts_with?(File.read!(&1), "aybiza-shard-"))
      end

      config = %{region: "us-east-1", endpoint: "http://127.0.0.1:9",
                 credentials: %{type: "default"}, timeouts: %{}, tls_ca_pem: nil}

      before = threads.()
      {:error, _} = Aybiza.Native.start_call(:converse_stream, %{model_id: 1}, config, self(), %{})
      {before, threads.()}
      """

      assert {{0, after_failed}, _} = :peer.call(peer, Code, :eval_string, [script], 60_000)
      assert after_failed > 0
      :peer.stop(peer)
    end
  end

  describe "conversation memory" do
    setup do
      name = :"probe_followup_memory_#{System.unique_integer([:positive])}"
      start_supervised!({Memory.Supervisor, name: name}, id: name)
      %{memory: name}
    end

    test "an improper list of messages is :invalid_request, as documented", %{memory: memory} do
      message = %{role: :user, content: "hi"}

      for messages <- [[message | :tail], [message, message | "tail"]] do
        assert {:error, %Error{reason: :invalid_request, message: m}} =
                 Memory.remember_all("call-1", messages, memory: memory)

        assert m =~ "improper list"
      end

      # Nothing of a refused batch was kept; the call's memory still works.
      assert %{history: []} = Memory.get_context("call-1", memory: memory)
      assert :ok = Memory.remember_all("call-1", [message], memory: memory)
      assert %{history: [_]} = Memory.get_context("call-1", memory: memory)
    end
  end

  describe "Sonic.cost/2 with a session summary" do
    @summary %{model_id: "amazon.nova-2-sonic-v1:0", usage: %{input_speech_tokens: 1_000}}

    test "prices that are neither a map, a model id nor nil are an ArgumentError" do
      for prices <- [5, :cheap, [speech_input: 1], {1, 2}] do
        assert_raise ArgumentError, ~r/prices/, fn -> Sonic.cost(@summary, prices) end
      end
    end

    test "a model id prices the summary's usage as that model" do
      usage = @summary.usage
      assert Sonic.cost(@summary, "amazon.nova-2-sonic-v1:0") == Sonic.cost(usage)

      assert_raise ArgumentError, ~r/not a speech-to-speech model/, fn ->
        Sonic.cost(@summary, "anthropic.made-up")
      end
    end
  end

  describe "circuit breakers for made-up targets" do
    test "calls that never failed leave no breaker entry; a failure makes one" do
      before = length(CircuitBreaker.list())
      region = "xx-probe-#{System.unique_integer([:positive])}"

      for i <- 1..500 do
        model = "made.up-model-#{i}"
        assert :ok = CircuitBreaker.acquire(model, region)
        assert CircuitBreaker.allowed?(model, region)
        if rem(i, 2) == 0, do: CircuitBreaker.release(model, region)
        if rem(i, 2) == 1, do: CircuitBreaker.record_success(model, region, 10)
      end

      # Other tests of this VM may add their own entries meanwhile: none of these exist.
      assert Enum.all?(CircuitBreaker.list(), fn {{_m, r}, _} -> r != region end)
      assert length(CircuitBreaker.list()) < before + 500

      CircuitBreaker.record_failure("made.up-model-1", region)
      assert {{"made.up-model-1", region}, :closed} in CircuitBreaker.list()
      assert CircuitBreaker.info("made.up-model-1", region).failures == 1
      CircuitBreaker.reset("made.up-model-1", region)
    end
  end
end
