defmodule Aybiza.Bedrock.LongSchedule do
  @moduledoc """
  The scheduler tests' harness for `:erlang.system_monitor/2`'s `{:long_schedule, 1}`: a
  process that stays scheduled in for 1 ms or more (a NIF holding a normal scheduler) is
  reported to the monitoring process as `{:monitor, pid, :long_schedule, info}`.
  """

  import ExUnit.Assertions, only: [flunk: 1]

  @doc """
  Runs `fun` with the calling process as the system's long_schedule monitor (1 ms) and puts
  the previous monitor back afterwards, whatever `fun` does. Returns what `fun` returns.
  """
  @spec monitoring((() -> result)) :: result when result: term()
  def monitoring(fun) do
    previous = :erlang.system_monitor(self(), [{:long_schedule, 1}])

    try do
      fun.()
    after
      restore(previous)
    end
  end

  @doc """
  Runs `fun` in a fresh process and returns the long_schedule events of that process (the
  caller must be the monitor, see `monitoring/1`; older events are dropped first). Fails the
  test if `fun` has not returned within 60 s.
  """
  @spec events_of((() -> term())) :: [term()]
  def events_of(fun) do
    flush()
    {pid, mref} = spawn_monitor(fn -> fun.() end)

    receive do
      {:DOWN, ^mref, :process, ^pid, _} -> :ok
    after
      60_000 -> flunk("a call did not return within 60 s")
    end

    # The monitor message is sent when the process is scheduled out: it is already queued.
    collect(pid)
  end

  @doc "The long_schedule events of `pid` already in the mailbox, oldest first."
  @spec collect(pid()) :: [term()]
  def collect(pid) do
    receive do
      {:monitor, ^pid, :long_schedule, info} -> [info | collect(pid)]
    after
      0 -> []
    end
  end

  @doc "Drops every long_schedule event in the mailbox."
  @spec flush() :: :ok
  def flush do
    receive do
      {:monitor, _, :long_schedule, _} -> flush()
    after
      0 -> :ok
    end
  end

  defp restore(:undefined), do: :erlang.system_monitor(:undefined)
  defp restore({pid, options}), do: :erlang.system_monitor(pid, options)
end
