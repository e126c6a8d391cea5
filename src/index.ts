// Public API of the package, for the workflow runtime and other producers.
export {
  createExecutionPublisher,
  type ExecutionPublisher,
  type ExecutionPublisherConfig,
  type PublishResult,
} from './sdk/executionPublisher.ts';
export {
  createCommandClient,
  newCommandId,
  CommandTimeoutError,
  type CommandClient,
  type CommandClientConfig,
} from './sdk/commandClient.ts';
export {
  COMMAND_TYPES,
  type Command,
  type CommandResult,
  type CommandStatus,
  type CommandType,
} from './core/commands/command.ts';
export {
  executionEventSchema,
  executionEventTypes,
  validateExecutionEvent,
  type ExecutionEvent,
  type ExecutionEventInput,
  type ExecutionEventType,
} from './core/executionEvent.ts';
export { PulseError, NonRetriableError, TransientError, ValidationError } from './errors.ts';
