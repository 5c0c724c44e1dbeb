defmodule Aybiza.TerminalTest do
  # Every failure mode of a call ends with exactly one terminal message and nothing after it:
  # the relay killed, its guard killed, the client GenServer killed, an engine error
  # (`:internal`), a backend that crashes, the tool loop killed mid-round, a tool that kills
  # itself, the receiver dying mid-tool-round, and cancel under load.
  # async: false: kills the application's BedrockClient and counts processes.
  use ExUnit.Case, async: false

  import Aybiza.Bedrock.TestHelpers

  alias Aybiza.AWS.BedrockClient
  alias Aybiza.Bedrock.{Emulator, FakeBackend, Telemetry, Tool, ToolLoop}
  alias Aybiza.Bedrock.Turn.Relay
  alias Aybiza.Error
  alias Aybiza.Test.ConversationFakeBackend, as: LoopFake

  # The soak's emulator rules (a fault per prompt keyword).
  Code.require_file("../../bench/support/soak.exs", __DIR__)

  @sonnet46 "anthropic.claude-sonnet-4-6"
  @haiku "us.anthropic.claude-haiku-4-5-20251001-v1:0"

  defmodule CrashingBackend do
    @moduledoc false
    @behaviour Aybiza.Bedrock.Backend
    @impl true
    def stream(_request, _opts), do: raise(RuntimeError, "backend bug")
    @impl true
    def converse(_request, _opts), do: raise(RuntimeError, "backend bug")
    @impl true
    def cancel(_ref), do: :ok
  end

  defp opts(backend, extra \\ []) do
    Keyword.merge(
      [
        backend: backend,
        model_id: @sonnet46,
        region: unique_region(),
        policy: [random: fn _ceiling -> 0 end],
        breaker: [failure_threshold: 1_000],
        fallback_line: false
      ],
      extra
    )
  end

  defp start_call(item, extra \\ []) do
    {:ok, ref} =
      BedrockClient.generate_response(
        "When do you open?",
        %{},
        opts({FakeBackend, item: item}, extra)
      )

    ref
  end

  # The one terminal of `ref`, then silence.
  defp assert_one_terminal(ref, timeout \\ 2_000) do
    events = collect_events(ref, timeout)
    assert [terminal] = Enum.filter(events, &match?({tag, _} when tag in [:done, :error], &1))
    refute_receive {:aybiza_bedrock, ^ref, _}, 100
    terminal
  end

  # The relay of a gated fake call: the fake stream monitors its receiver, the relay.
  defp relay_of(fake_stream) do
    {:monitors, [process: relay]} = Process.info(fake_stream, :monitors)
    relay
  end

  describe "BedrockClient" do
    test "a relay killed mid-stream: one :internal terminal, the span closed, nothing after" do
      parent = self()
      id = {__MODULE__, make_ref()}

      Telemetry.attach(id, [:aybiza_bedrock, :stream, :exception], fn _, _, meta, _ ->
        send(parent, {:exception, meta})
      end)

      on_exit(fn -> Telemetry.detach(id) end)

      ref = start_call(:stall, call_id: "relay-kill")
      relay = Relay.lookup(ref)
      Process.exit(relay, :kill)

      assert {:error, %Error{reason: :internal, message: message}} = assert_one_terminal(ref)
      assert message =~ "relay exited" and message =~ "killed"
      assert_receive {:exception, %{call_id: "relay-kill", reason: :internal}}
      assert Relay.lookup(ref) == nil
    end

    test "a relay killed during stream: false returns at once, not after the timeout" do
      parent = self()

      task =
        Task.async(fn ->
          BedrockClient.generate_response(
            "Hi",
            %{},
            opts({FakeBackend, item: {:gate, parent, :stall}}, stream: false, timeout: 60_000)
          )
        end)

      assert_receive {:fake_gate, fake_stream}, 2_000
      Process.exit(relay_of(fake_stream), :kill)
      assert {:error, %Error{reason: :internal}} = Task.await(task, 2_000)
    end

    test "the guard killed: the relay delivers its own terminal, once" do
      ref = start_call({:gate, self(), {:answer, ["Still here."]}})
      assert_receive {:fake_gate, fake_stream}, 2_000
      [{relay, guard}] = Registry.lookup(Relay.registry(), ref)
      assert relay == relay_of(fake_stream)
      Process.exit(guard, :kill)
      send(fake_stream, :open)
      assert {:done, %{text: "Still here."}} = assert_one_terminal(ref)
    end

    test "the client GenServer killed mid-call: the call finishes, once; settings survive" do
      settings = BedrockClient.settings()
      ref = start_call({:gate, self(), {:answer, ["Fine."]}})
      assert_receive {:fake_gate, fake_stream}, 2_000
      client = Process.whereis(BedrockClient)
      mon = Process.monitor(client)
      Process.exit(client, :kill)
      assert_receive {:DOWN, ^mon, :process, ^client, :killed}
      send(fake_stream, :open)
      assert {:done, %{text: "Fine."}} = assert_one_terminal(ref)
      assert BedrockClient.settings() == settings
      assert wait_until(fn -> is_pid(Process.whereis(BedrockClient)) end)
    end

    test "an engine :internal error (a panic caught in a task) mid-stream: one terminal" do
      ref = start_call({:fail_after, ["One."], :internal})
      assert {:error, %Error{reason: :internal, phase: :mid_stream}} = assert_one_terminal(ref)
    end

    test "a backend that raises: one :internal terminal from the relay" do
      {:ok, ref} = BedrockClient.generate_response("Hi", %{}, opts(CrashingBackend))
      assert {:error, %Error{reason: :internal, message: message}} = assert_one_terminal(ref)
      assert message =~ "backend bug"
    end

    test "a receiver that dies: relay and guard stop" do
      parent = self()

      receiver =
        spawn(fn ->
          ref = start_call({:gate, parent, :stall})
          send(parent, {:ref, ref})
          receive do: (:never -> :ok)
        end)

      assert_receive {:ref, ref}
      assert_receive {:fake_gate, _fake_stream}, 2_000
      [{relay, guard}] = Registry.lookup(Relay.registry(), ref)
      monitors = [Process.monitor(relay), Process.monitor(guard)]
      Process.exit(receiver, :kill)

      for mon <- monitors, do: assert_receive({:DOWN, ^mon, :process, _, _}, 1_000)
    end
  end

  describe "telemetry" do
    test "every call is one balanced span: retried, cancelled, receiver gone, relay killed" do
      parent = self()
      id = {__MODULE__, make_ref()}

      span = [
        [:aybiza_bedrock, :stream, :start],
        [:aybiza_bedrock, :stream, :stop],
        [:aybiza_bedrock, :stream, :exception]
      ]

      Telemetry.attach(id, span, fn [_, _, kind], _, meta, _ ->
        if is_binary(meta.call_id) and String.starts_with?(meta.call_id, "span-"),
          do: send(parent, {:span, meta.call_id, kind})
      end)

      on_exit(fn -> Telemetry.detach(id) end)

      retried = FakeBackend.script([{:error, :throttled}, {:answer, ["Yes."]}])

      {:ok, ref} =
        BedrockClient.generate_response(
          "Hi",
          %{},
          opts({FakeBackend, script: retried}, call_id: "span-retried")
        )

      assert {:done, %{attempts: 2}} = assert_one_terminal(ref)

      ref = start_call(:stall, call_id: "span-cancelled")
      :ok = BedrockClient.cancel(ref)

      ref = start_call(:stall, call_id: "span-killed")
      Process.exit(Relay.lookup(ref), :kill)
      assert_one_terminal(ref)

      receiver =
        spawn(fn ->
          start_call(:stall, call_id: "span-receiver")
          send(parent, :started)
          receive do: (:never -> :ok)
        end)

      assert_receive :started
      Process.exit(receiver, :kill)

      expected = %{
        "span-retried" => [:start, :stop],
        "span-cancelled" => [:start, :exception],
        "span-killed" => [:start, :exception],
        "span-receiver" => [:start, :exception]
      }

      for {call_id, kinds} <- expected, kind <- kinds do
        assert_receive {:span, ^call_id, ^kind}, 1_000
      end

      refute_receive {:span, _, _}, 200
    end
  end

  describe "cancel" do
    test "cancel: the :cancelled terminal is in the mailbox when cancel/1 returns, then nothing" do
      ref = start_call({:events, [:message_start, {:text, "One. "}, {:sentence, 0, "One."}]})
      assert_receive {:aybiza_bedrock, ^ref, :message_start}
      assert_receive {:aybiza_bedrock, ^ref, {:text, "One. "}}
      assert_receive {:aybiza_bedrock, ^ref, {:sentence, 0, "One."}}
      assert :ok = BedrockClient.cancel(ref)
      assert_received {:aybiza_bedrock, ^ref, {:error, %Error{reason: :cancelled} = error}}
      assert %{phase: :mid_stream, delivered: %{sentences: 1, text: "One."}} = error
      assert :ok = BedrockClient.cancel(ref)
      refute_receive {:aybiza_bedrock, ^ref, _}, 100
    end

    @tag timeout: 120_000
    test "cancel under load against the engine: one terminal, no event after cancel/1 returns" do
      reply = String.duplicate("We open at nine tomorrow and close at five. ", 40)

      emulator =
        start_supervised!(
          {Emulator, rules: [%{reply: reply}], pacing: %{first_token_ms: 5, tps: 400}},
          id: make_ref()
        )

      creds = Emulator.credentials(emulator)

      client_opts = [
        endpoint: Emulator.url(emulator),
        credentials: {:static, creds.access_key_id, creds.secret_access_key}
      ]

      calls = 300
      parent = self()

      for i <- 1..calls do
        spawn_link(fn ->
          {:ok, ref} =
            BedrockClient.generate_response("When do you open?", %{},
              model_id: @haiku,
              region: "us-east-1",
              client_opts: client_opts,
              fallback_line: false,
              breaker: [failure_threshold: 100_000]
            )

          # Cancel after a varying number of events (0..9): before, at and after the start.
          wanted = rem(i, 10)
          before = take(ref, wanted, [])
          :ok = BedrockClient.cancel(ref)
          # Everything sent before cancel/1 returned is in the mailbox now.
          in_mailbox = drain(ref, [])
          Process.sleep(200)
          late = drain(ref, [])
          send(parent, {:checked, i, before ++ in_mailbox, late})
        end)
      end

      results =
        for _ <- 1..calls do
          assert_receive {:checked, _i, events, late}, 60_000
          {events, late}
        end

      for {events, late} <- results do
        assert late == []
        terminals = Enum.filter(events, &match?({tag, _} when tag in [:done, :error], &1))
        assert [terminal] = terminals, inspect(events)

        assert match?({:error, %Error{reason: :cancelled}}, terminal) or
                 match?({:done, _}, terminal),
               inspect(terminal)

        assert List.last(events) == terminal
      end

      # Some calls really were cancelled mid-stream.
      assert Enum.count(results, fn {events, _} ->
               Enum.any?(events, &match?({:text, _}, &1)) and
                 match?({:error, _}, List.last(events))
             end) > 0

      assert wait_until(fn -> Aybiza.Bedrock.live_streams() == 0 end)
    end
  end

  describe "churn" do
    @tag timeout: 120_000
    test "300 concurrent client calls with faults, relays killed, cancels and dead receivers" do
      emulator = start_supervised!({Emulator, rules: AybizaBench.Soak.rules()}, id: make_ref())
      creds = Emulator.credentials(emulator)
      :rand.seed(:exsss, {16, 5, 2026})

      opts = [
        model_id: @haiku,
        region: "us-east-1",
        client_opts: [
          endpoint: Emulator.url(emulator),
          credentials: {:static, creds.access_key_id, creds.secret_access_key},
          timeouts: [idle: 2_000, first_byte: 5_000]
        ],
        policy: [
          max_attempts: 2,
          base_backoff_ms: 10,
          random: fn _ -> 0 end,
          fallback_region: nil
        ],
        breaker: [failure_threshold: 100_000],
        fallback_line: false
      ]

      prompts =
        ~w(soak-ok soak-ok soak-ok soak-throttle soak-exception soak-reset soak-stall soak-corrupt)

      actions = [:collect, :collect, :cancel, :kill_relay, :kill_receiver]
      parent = self()

      calls =
        for i <- 1..300 do
          prompt = Enum.random(prompts) <> " call #{i}"
          action = Enum.random(actions)
          delay = :rand.uniform(150)

          pid =
            spawn(fn ->
              {:ok, ref} = BedrockClient.generate_response(prompt, %{}, opts)

              case action do
                :kill_relay ->
                  spawn(fn ->
                    Process.sleep(delay)
                    if relay = Relay.lookup(ref), do: Process.exit(relay, :kill)
                  end)

                :cancel ->
                  Process.send_after(self(), :cancel, delay)

                _ ->
                  :ok
              end

              events = churn_collect(ref, [])
              Process.sleep(150)
              send(parent, {:checked, self(), action, events, drain(ref, [])})
            end)

          if action == :kill_receiver do
            spawn(fn ->
              Process.sleep(delay)
              Process.exit(pid, :kill)
            end)
          end

          {pid, action, prompt}
        end

      terminals =
        for {pid, action, prompt} <- calls, action != :kill_receiver do
          assert_receive {:checked, ^pid, ^action, events, late}, 30_000
          assert late == [], "#{action}: #{inspect(late)} after the terminal"

          assert [terminal] =
                   Enum.filter(events, &match?({tag, _} when tag in [:done, :error], &1))

          assert List.last(events) == terminal

          # Undisturbed calls end as their emulator rule says.
          if action == :collect do
            if String.starts_with?(prompt, "soak-ok"),
              do: assert({:done, _} = terminal),
              else: assert({:error, %Error{}} = terminal)
          end

          {action, terminal}
        end

      assert Enum.any?(terminals, &match?({:cancel, {:error, %Error{reason: :cancelled}}}, &1))

      assert Enum.any?(
               terminals,
               &match?({:kill_relay, {:error, %Error{reason: :internal}}}, &1)
             )

      # Nothing leaks: no call in the engine, no relay registered.
      assert wait_until(fn -> Aybiza.Bedrock.live_streams() == 0 end)
      # (Relays are registered by their call's ref; fake streams of other tests by tuples.)
      relays = [{{:"$1", :_, :_}, [{:is_reference, :"$1"}], [:"$1"]}]
      assert wait_until(fn -> Registry.select(Relay.registry(), relays) == [] end)
    end
  end

  # Collects until the terminal; cancels when the (delayed) :cancel arrives first.
  defp churn_collect(ref, acc) do
    receive do
      {:aybiza_bedrock, ^ref, {tag, _} = event} when tag in [:done, :error] ->
        Enum.reverse([event | acc])

      {:aybiza_bedrock, ^ref, event} ->
        churn_collect(ref, [event | acc])

      :cancel ->
        :ok = BedrockClient.cancel(ref)
        churn_collect(ref, acc)
    after
      20_000 -> Enum.reverse([:no_terminal | acc])
    end
  end

  describe "ToolLoop" do
    @obj %{"type" => "object", "properties" => %{"q" => %{"type" => "string"}}}

    defp tool(name, execute),
      do: Tool.new!(name: name, description: "tool #{name}", input_schema: @obj, execute: execute)

    defp request,
      do: %{model_id: "fake-model", messages: [%{role: :user, content: [%{text: "Hi"}]}]}

    defp tool_use(id, name), do: %{id: id, name: name, input: %{"q" => "x"}}

    test "the loop killed mid-tool-round: one :internal terminal, its tool stopped" do
      parent = self()

      hold =
        tool("hold", fn _ ->
          send(parent, {:holding, self()})
          receive do: (:go -> {:ok, "x"})
        end)

      fake = LoopFake.start!([%{tool_uses: [tool_use("t", "hold")]}, %{text: "never"}])

      {:ok, ref} =
        ToolLoop.stream(request(), [hold], backend: LoopFake, backend_opts: [fake: fake])

      assert_receive {:holding, holder}
      holder_mon = Process.monitor(holder)
      Process.exit(Process.get({ToolLoop, ref}), :kill)

      assert {:error, %Error{reason: :internal, message: message}} = assert_one_terminal(ref)
      assert message =~ "the turn process exited"
      assert_receive {:DOWN, ^holder_mon, :process, ^holder, _}, 1_000
      assert length(LoopFake.requests(fake)) == 1
    end

    test "cancel/1: one :cancelled terminal, in the mailbox when cancel returns, from any process" do
      parent = self()

      hold =
        tool("hold", fn _ ->
          send(parent, {:holding, self()})
          receive do: (:go -> {:ok, "x"})
        end)

      fake = LoopFake.start!([%{tool_uses: [tool_use("t", "hold")]}, %{text: "never"}])

      {:ok, ref} =
        ToolLoop.stream(request(), [hold], backend: LoopFake, backend_opts: [fake: fake])

      assert_receive {:holding, holder}
      # The loop waits for its running tool: release it once the cancel is on its way.
      spawn(fn -> Process.sleep(50) && send(holder, :go) end)
      assert :ok = ToolLoop.cancel(ref)
      assert [{:error, %Error{reason: :cancelled}}] = terminals_in_mailbox(ref)
      refute_receive {:aybiza_bedrock, ^ref, _}, 100
      assert length(LoopFake.requests(fake)) == 1

      # From another process: only a request to stop; the terminal still comes, once.
      fake = LoopFake.start!([%{tool_uses: [tool_use("t", "hold")]}, %{text: "never"}])

      {:ok, ref} =
        ToolLoop.stream(request(), [hold], backend: LoopFake, backend_opts: [fake: fake])

      assert_receive {:holding, holder}
      spawn(fn -> ToolLoop.cancel(ref) end)
      Process.sleep(50)
      send(holder, :go)
      assert {:error, %Error{reason: :cancelled}} = assert_one_terminal(ref)
    end

    test "a tool that kills itself fails its own call; the loop answers once" do
      suicidal = tool("boom", fn _ -> Process.exit(self(), :kill) end)

      fake =
        LoopFake.start!([%{tool_uses: [tool_use("t", "boom")]}, %{text: "Sorry about that."}])

      {:ok, ref} =
        ToolLoop.stream(request(), [suicidal], backend: LoopFake, backend_opts: [fake: fake])

      assert {:done,
              %{tool_calls: [%{status: :error, error: error}], final_text: "Sorry about that."}} =
               assert_one_terminal(ref)

      assert error =~ "killed"
    end

    test "the receiver dying mid-tool-round: no next model call, loop and guard stop" do
      parent = self()

      hold =
        tool("hold", fn _ ->
          send(parent, {:holding, self()})
          receive do: (:go -> {:ok, "x"})
        end)

      fake = LoopFake.start!([%{tool_uses: [tool_use("t", "hold")]}, %{text: "never"}])
      receiver = spawn(fn -> receive do: (:never -> :ok) end)

      {:ok, ref} =
        ToolLoop.stream(request(), [hold],
          backend: LoopFake,
          backend_opts: [fake: fake],
          to: receiver
        )

      loop = Process.get({ToolLoop, ref})
      {:monitored_by, watchers} = Process.info(loop, :monitored_by)
      loop_mon = Process.monitor(loop)
      guard_mons = for pid <- watchers, pid != self(), do: Process.monitor(pid)
      assert guard_mons != []
      assert_receive {:holding, holder}
      Process.exit(receiver, :kill)
      send(holder, :go)
      assert_receive {:DOWN, ^loop_mon, :process, ^loop, :normal}, 2_000
      for mon <- guard_mons, do: assert_receive({:DOWN, ^mon, :process, _, _}, 1_000)
      assert length(LoopFake.requests(fake)) == 1
    end
  end

  # The terminal messages of `ref` already in the mailbox (others are dropped).
  defp terminals_in_mailbox(ref) do
    for {tag, _} = event <- drain(ref, []), tag in [:done, :error], do: event
  end

  defp take(_ref, 0, acc), do: Enum.reverse(acc)

  defp take(ref, n, acc) do
    receive do
      {:aybiza_bedrock, ^ref, {tag, _} = event} when tag in [:done, :error] ->
        Enum.reverse([event | acc])

      {:aybiza_bedrock, ^ref, event} ->
        take(ref, n - 1, [event | acc])
    after
      30_000 -> Enum.reverse(acc)
    end
  end

  defp drain(ref, acc) do
    receive do
      {:aybiza_bedrock, ^ref, event} -> drain(ref, [event | acc])
    after
      0 -> Enum.reverse(acc)
    end
  end

  defp wait_until(fun, tries \\ 200) do
    cond do
      fun.() -> true
      tries == 0 -> false
      true -> Process.sleep(10) && wait_until(fun, tries - 1)
    end
  end
end
