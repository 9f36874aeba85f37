/** JSON Schemas of the files users write. Published as schemas/*.schema.json for editors. */

const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

const duration = {
  type: ['string', 'integer'],
  pattern: '^([0-9]+[smh])+$|^[0-9]+$',
  minimum: 0,
  description: 'seconds, or units: 90s, 2m, 1m30s',
} as const;

/** A progressive rollout: waves in order, gates between them. */
const rolloutSchema = {
  type: 'object',
  required: ['waves'],
  additionalProperties: false,
  properties: {
    waves: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'clusters'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
          clusters: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            maxProperties: 1,
            properties: {
              names: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
              selector: {
                ...stringMap,
                description: 'cluster labels; {} = every cluster no earlier wave took',
              },
            },
          },
          soak: duration,
          checks: {
            type: 'array',
            items: {
              type: 'object',
              required: ['run'],
              additionalProperties: false,
              properties: { run: { type: 'string', minLength: 1 }, timeout: duration },
            },
          },
          helmTest: { type: 'boolean' },
          maxParallel: { type: 'integer', minimum: 1 },
        },
      },
    },
    approval: {
      type: 'string',
      pattern: '^before-wave [a-z0-9]([-a-z0-9]*[a-z0-9])?$',
      description: 'before-wave NAME: pause before that wave until `regatta deploy --resume ID`',
    },
  },
} as const;

export const fleetSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://regatta.dev/schemas/fleet.schema.json',
  title: 'Regatta fleet file (regatta.yaml)',
  type: 'object',
  required: ['apiVersion', 'kind', 'environments', 'clusters'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'regatta/v1' },
    kind: { const: 'Fleet' },
    environments: {
      type: 'object',
      minProperties: 1,
      additionalProperties: {
        type: 'object',
        required: ['branches'],
        additionalProperties: false,
        properties: {
          branches: { type: 'array', items: { type: 'string', minLength: 1 } },
          engine: {
            enum: ['helm', 'flux'],
            description:
              'helm (default): Regatta runs helm; flux: Regatta commits HelmReleases that Flux applies',
          },
          gitops: {
            type: 'object',
            required: ['repo'],
            additionalProperties: false,
            description:
              'engine: flux — the fleet repository and branch every cluster of the environment syncs',
            properties: {
              repo: {
                type: 'string',
                pattern: '^\\S+$',
                patternErrorMessage: 'a git URL (http(s) or ssh), without spaces; ${VAR} reads a variable',
                examples: ['https://git.example.com/fleet.git', '${REGATTA_GIT_URL}/fleet.git'],
              },
              branch: { type: 'string', minLength: 1, description: 'default: main' },
            },
          },
          secrets: {
            enum: ['vault', 'external-secrets'],
            description:
              'engine flux: vault (default): Regatta reads Vault and creates the Secrets the HelmReleases read; external-secrets: Regatta commits ExternalSecrets that the External Secrets Operator of each cluster resolves',
          },
          secretStore: {
            type: 'string',
            maxLength: 253,
            pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
            patternErrorMessage: 'a Kubernetes object name: lowercase letters, digits, "-" and "."',
            description:
              'secrets: external-secrets: the ClusterSecretStore the ExternalSecrets read (default vault)',
          },
          chartRepository: {
            type: 'object',
            required: ['url'],
            additionalProperties: false,
            properties: {
              url: {
                type: 'string',
                pattern: '^(https?|oci)://[^\\s/]+\\S*$',
                patternErrorMessage: 'a URL starting with http://, https:// or oci://, without spaces',
                examples: ['https://charts.example.com', 'oci://registry.example.com/charts'],
              },
              type: {
                enum: ['chartmuseum', 'oci'],
                description: 'default: oci for oci:// URLs, else chartmuseum',
              },
              plainHttp: {
                type: 'boolean',
                description: 'OCI over plain HTTP; default true for 127.0.0.1/localhost',
              },
              username: { type: 'string', description: 'ChartMuseum basic auth user' },
              passwordEnv: { type: 'string', description: 'the environment variable holding its password' },
            },
          },
          rollout: rolloutSchema,
        },
      },
    },
    clusters: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'env', 'region'],
        additionalProperties: false,
        properties: {
          name: {
            type: 'string',
            pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$',
            patternErrorMessage:
              'lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters (a DNS label)',
            examples: ['prod-europe-west1'],
          },
          context: { type: 'string', minLength: 1, description: 'kube context; default: the name' },
          kubeconfig: { type: 'string', minLength: 1 },
          env: { type: 'string' },
          cloud: { type: 'boolean' },
          region: { type: 'string', minLength: 1 },
          labels: stringMap,
          globals: { type: 'object', description: 'more global.* values for this cluster' },
        },
      },
    },
    notifications: {
      type: 'object',
      additionalProperties: false,
      properties: {
        slack: {
          type: 'object',
          required: ['webhookUrlEnv'],
          additionalProperties: false,
          properties: {
            webhookUrlEnv: {
              type: 'string',
              pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
              patternErrorMessage:
                'the name of an environment variable (letters, digits and "_", not starting with a digit), not the URL itself',
              examples: ['SLACK_WEBHOOK_URL'],
            },
          },
        },
      },
    },
    vault: {
      type: 'object',
      description:
        'Vault (or OpenBao) connection; VAULT_ADDR, VAULT_TOKEN and VAULT_NAMESPACE work as in the vault CLI',
      additionalProperties: false,
      properties: {
        address: {
          type: 'string',
          pattern: '^https?://[^\\s/]+\\S*$',
          patternErrorMessage: 'a URL starting with http:// or https://, without spaces',
          examples: ['https://vault.example.com:8200'],
        },
        namespace: { type: 'string' },
        caFile: { type: 'string' },
        auth: {
          type: 'object',
          additionalProperties: false,
          properties: {
            token: {
              type: 'object',
              additionalProperties: false,
              properties: { env: { type: 'string' }, file: { type: 'string' } },
            },
            approle: {
              type: 'object',
              required: ['roleId'],
              additionalProperties: false,
              properties: {
                mount: { type: 'string', description: 'default: approle' },
                roleId: { type: 'string', minLength: 1 },
                secretIdEnv: { type: 'string' },
                secretIdFile: { type: 'string' },
              },
            },
          },
        },
      },
    },
  },
} as const;

const secretsList = {
  type: 'array',
  items: {
    type: 'object',
    required: ['secret_id', 'contexts'],
    additionalProperties: false,
    properties: {
      secret_id: {
        type: 'string',
        pattern: '^[A-Za-z0-9_.-]+$',
        patternErrorMessage: 'letters, digits, ".", "_" and "-" only',
        examples: ['stack1-app1-password'],
      },
      contexts: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['name', 'vaultPath', 'vaultKey'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1 },
            vaultPath: { type: 'string', minLength: 1 },
            vaultKey: { type: 'string', minLength: 1 },
          },
        },
      },
    },
  },
} as const;

export const releaseSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://regatta.dev/schemas/release.schema.json',
  title: 'Regatta release file (also the seed format: apiVersion "v1", kind "DailymotionRelease")',
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { enum: ['v1', 'regatta/v1'] },
    kind: { enum: ['DailymotionRelease', 'Release'] },
    metadata: {
      type: 'object',
      required: ['name', 'environment'],
      additionalProperties: false,
      properties: {
        name: {
          type: 'string',
          pattern: '^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)?$',
          patternErrorMessage:
            'RELEASE or RELEASE.NAMESPACE in lowercase letters, digits and "-", each part starting and ending with a letter or digit; the release at most 53 characters (Helm), the namespace at most 63 (a DNS label)',
          description: 'RELEASE.NAMESPACE',
          examples: ['app1.ns1'],
        },
        environment: { type: 'string', minLength: 1 },
        branch: { type: 'string' },
      },
    },
    spec: {
      type: 'object',
      required: ['chart_name'],
      additionalProperties: false,
      properties: {
        slack_channel: { type: 'string' },
        chart_name: { type: 'string', minLength: 1 },
        chart_version: { type: 'string', minLength: 1 },
        chart_path: { type: 'string', minLength: 1 },
        values: { type: 'object' },
        values_files: { type: 'array', items: { type: 'string', minLength: 1 } },
        scaling: {
          type: 'array',
          items: {
            type: 'object',
            required: ['context', 'replicas'],
            additionalProperties: false,
            properties: {
              context: { type: 'string', minLength: 1 },
              replicas: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['name', 'count'],
                  additionalProperties: false,
                  properties: {
                    name: { type: 'string', minLength: 1 },
                    count: { type: 'integer', minimum: 0, maximum: 2147483647 },
                  },
                },
              },
            },
          },
        },
        secrets: secretsList,
        rollout: { ...rolloutSchema, description: "this release's own waves (instead of its environment's)" },
        secrets_file: {
          type: 'string',
          minLength: 1,
          description: 'a standalone file with a top-level secrets: list',
        },
      },
    },
  },
} as const;

export const secretsFileSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://regatta.dev/schemas/secrets.schema.json',
  title: 'Regatta secrets file: secret_id → Vault path and key per cluster, with a default',
  type: 'object',
  required: ['secrets'],
  additionalProperties: false,
  properties: { secrets: secretsList },
} as const;

export const schemas = { fleet: fleetSchema, release: releaseSchema, secrets: secretsFileSchema } as const;
