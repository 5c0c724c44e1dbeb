import Config

# Defaults for aybiza_bedrock. Override in the host app's config.
config :aybiza_bedrock,
  region: nil,
  endpoint: nil,
  credentials: :default

import_config "#{config_env()}.exs"
