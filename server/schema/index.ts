import { builder } from '../builder';
import './scalars';
import './users';
import './sessions';
import './courses';
import './grades';
import './attendance';
import './polls';
import './content';
import './notifications';
import './course-events';
import './audit';
import './stats';
import './chat';
import './presence';
import './live';

export const schema = builder.toSchema({ sortSchema: true });
