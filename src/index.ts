// Public API of the package, for the workflow runtime and other producers.
export {
  createExecutionPublisher,
  type ExecutionPublisher,
  type ExecutionPublisherConfig,
  type PublishResult,
} from './sdk/executionPublisher.ts';
export {
  executionEventSchema,
  executionEventTypes,
  validateExecutionEvent,
  type ExecutionEvent,
  type ExecutionEventInput,
  type ExecutionEventType,
} from './core/executionEvent.ts';
export { PulseError, NonRetriableError, TransientError, ValidationError } from './errors.ts';
